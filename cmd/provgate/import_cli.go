package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/provgate/provgate/settlement"
)

// importer streams rows from a file, checks each, sends them in batches
// (one Raft entry per batch), shows progress and sums up what was refused.
type importer[T any] struct {
	ac      adminClient
	file    string
	format  string
	batch   int
	rejects string
	path    string                      // admin endpoint
	check   func(T) settlement.Problems // local check of a row
	key     func(T) string              // the row's key in reports
	merge   func(prev *T, next T) bool  // folds a continuation row into the previous one (CSV persons)
	fromCSV func(map[string]string) (T, error)
}

type rejected struct {
	line   int
	key    string
	reason string
}

func (im *importer[T]) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&im.file, "file", "f", "", "CSV (with a header row) or JSON lines")
	cmd.Flags().StringVar(&im.format, "format", "", "csv or jsonl (default: by the file's extension)")
	cmd.Flags().IntVar(&im.batch, "batch", 1000, "rows per call (one Raft entry each)")
	cmd.Flags().StringVar(&im.rejects, "rejects", "", "write every refused row, with its reason, to this file")
	cmd.MarkFlagRequired("file")
	im.ac.register(cmd)
}

func (im *importer[T]) run(ctx context.Context, out, progress io.Writer) error {
	f, err := os.Open(im.file)
	if err != nil {
		return err
	}
	defer f.Close()
	format := im.format
	if format == "" {
		format = map[string]string{".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}[strings.ToLower(filepath.Ext(im.file))]
	}
	next, err := im.reader(f, format)
	if err != nil {
		return err
	}
	var (
		pending     []T
		pendingLine []int
		refused     []rejected
		read, sent  int
		byCluster   int
		start       = time.Now()
		lastShown   = start
	)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		var answer struct {
			Rejected []settlement.Rejection `json:"rejected"`
		}
		callCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
		err := im.ac.do(callCtx, http.MethodPost, im.path, pending, &answer)
		cancel()
		if err != nil {
			return fmt.Errorf("after %d rows: %w", sent, err)
		}
		for _, r := range answer.Rejected {
			refused = append(refused, rejected{line: pendingLine[r.Index], key: r.Key, reason: r.Reason})
		}
		byCluster += len(answer.Rejected)
		sent += len(pending)
		pending, pendingLine = pending[:0], pendingLine[:0]
		return nil
	}
	for {
		row, line, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		read++
		if err != nil {
			refused = append(refused, rejected{line: line, reason: err.Error()})
			continue
		}
		if n := len(pending); n > 0 && im.merge != nil && im.merge(&pending[n-1], row) {
			continue
		}
		if problems := im.check(row); len(problems) > 0 {
			refused = append(refused, rejected{line: line, key: im.key(row), reason: problems.Err("row").Error()})
			continue
		}
		if len(pending) >= im.batch {
			if err := flush(); err != nil {
				return err
			}
		}
		pending, pendingLine = append(pending, row), append(pendingLine, line)
		if time.Since(lastShown) > 2*time.Second {
			lastShown = time.Now()
			fmt.Fprintf(progress, "  %d rows read, %d sent, %d refused, %.0f rows/s\n", read, sent, len(refused), float64(read)/time.Since(start).Seconds())
		}
	}
	if err := flush(); err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(out, "%s: %d rows read, %d records stored, %d rows refused, in %s (%.0f rows/s)\n",
		im.file, read, sent-byCluster, len(refused), elapsed.Round(time.Millisecond), float64(read)/elapsed.Seconds())
	return im.summarise(out, refused)
}

func (im *importer[T]) summarise(out io.Writer, refused []rejected) error {
	if len(refused) == 0 {
		return nil
	}
	byReason := map[string]int{}
	for _, r := range refused {
		byReason[shortReason(r.reason, r.key)]++
	}
	reasons := make([]string, 0, len(byReason))
	for r := range byReason {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool { return byReason[reasons[i]] > byReason[reasons[j]] })
	fmt.Fprintln(out, "refused rows by reason:")
	for _, r := range reasons {
		fmt.Fprintf(out, "  %7d  %s\n", byReason[r], r)
	}
	fmt.Fprintln(out, "first refused rows:")
	for _, r := range refused[:min(len(refused), 10)] {
		fmt.Fprintf(out, "  line %d %s: %s\n", r.line, r.key, r.reason)
	}
	if im.rejects != "" {
		f, err := os.Create(im.rejects)
		if err != nil {
			return err
		}
		defer f.Close()
		w := csv.NewWriter(f)
		w.Write([]string{"line", "key", "reason"})
		for _, r := range refused {
			w.Write([]string{fmt.Sprint(r.line), r.key, r.reason})
		}
		w.Flush()
		fmt.Fprintf(out, "all %d refused rows are in %s\n", len(refused), im.rejects)
		return w.Error()
	}
	return nil
}

// shortReason groups reasons: the English reason without the row's key.
func shortReason(reason, key string) string {
	if i := strings.Index(reason, " / "); i > 0 {
		reason = reason[i+3:]
	}
	if key != "" {
		reason = strings.ReplaceAll(reason, " "+key+":", "")
	}
	if len(reason) > 90 {
		reason = reason[:90] + "…"
	}
	return reason
}

// reader returns a function that yields the next row and its line number.
func (im *importer[T]) reader(r io.Reader, format string) (func() (T, int, error), error) {
	switch format {
	case "jsonl":
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		line := 0
		return func() (T, int, error) {
			var v T
			for sc.Scan() {
				line++
				b := sc.Bytes()
				if len(strings.TrimSpace(string(b))) == 0 {
					continue
				}
				dec := json.NewDecoder(strings.NewReader(string(b)))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&v); err != nil {
					return v, line, fmt.Errorf("line %d: %v", line, err)
				}
				return v, line, nil
			}
			if err := sc.Err(); err != nil {
				return v, line, err
			}
			return v, line, io.EOF
		}, nil
	case "csv":
		cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
		cr.ReuseRecord = true
		header, err := cr.Read()
		if err != nil {
			return nil, fmt.Errorf("%s: no header row: %w", im.file, err)
		}
		cols := append([]string(nil), header...)
		return func() (T, int, error) {
			var v T
			rec, err := cr.Read()
			line, _ := cr.FieldPos(0)
			if err != nil {
				if errors.Is(err, io.EOF) {
					return v, line, io.EOF
				}
				return v, line, fmt.Errorf("line %d: %v", line, err)
			}
			m := make(map[string]string, len(cols))
			for i, c := range cols {
				if i < len(rec) {
					m[strings.TrimSpace(c)] = strings.TrimSpace(rec[i])
				}
			}
			v, err = im.fromCSV(m)
			if err != nil {
				return v, line, fmt.Errorf("line %d: %v", line, err)
			}
			return v, line, nil
		}, nil
	}
	return nil, fmt.Errorf("%s: unknown format %q (csv or jsonl)", im.file, format)
}

func personCommand() *cobra.Command {
	im := &importer[settlement.Person]{
		path:  "/admin/v1/persons/batch",
		check: settlement.Person.Check,
		key:   func(p settlement.Person) string { return p.PsnNo },
		// CSV has one row per person and insurance: rows of the same person
		// in a row add insurances.
		merge: func(prev *settlement.Person, next settlement.Person) bool {
			if prev.PsnNo != next.PsnNo {
				return false
			}
			prev.Insurances = append(prev.Insurances, next.Insurances...)
			prev.Identities = append(prev.Identities, next.Identities...)
			return true
		},
		fromCSV: personFromCSV,
	}
	cmd := &cobra.Command{Use: "person", Short: "Import insured persons"}
	imp := &cobra.Command{
		Use:   "import -f FILE",
		Short: "Import insured persons from CSV or JSON lines",
		Long: `import streams a file of insured persons to the cluster in batches (one Raft entry each),
showing progress, and sums up the rows it refused and why.

CSV columns (header row required; one row per person and insurance type):
  psn_no, psn_cert_type, certno, card_no, psn_name, gend, naty, brdy, account_balance,
  insutype, psn_type, psn_insu_stas, insuplc_admdvs, psn_insu_date, cvlserv_flag, emp_name,
  identities   (TYPE:from:to separated by ';', e.g. DIBAO:2024-01-01:2024-12-31)
JSON lines: one person object per line, as in configs/persons.yaml.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return im.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	im.register(imp)
	cmd.AddCommand(imp)
	return cmd
}

func personFromCSV(m map[string]string) (settlement.Person, error) {
	p := settlement.Person{PsnNo: m["psn_no"], CertType: m["psn_cert_type"], CertNo: m["certno"], CardNo: m["card_no"],
		Name: m["psn_name"], Gender: m["gend"], Nation: m["naty"], Birthdate: m["brdy"]}
	if b := m["account_balance"]; b != "" {
		f, err := settlement.ParseFen(b)
		if err != nil {
			return p, fmt.Errorf("account_balance %q: %v", b, err)
		}
		p.AccountBalance = f
	}
	p.Insurances = []settlement.Insurance{{Insutype: m["insutype"], PsnType: m["psn_type"], Status: m["psn_insu_stas"],
		InsuredAdmdvs: m["insuplc_admdvs"], Since: m["psn_insu_date"], CvlservFlag: m["cvlserv_flag"], EmpName: m["emp_name"]}}
	for _, id := range strings.Split(m["identities"], ";") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		parts := strings.Split(id, ":")
		if len(parts) < 2 {
			return p, fmt.Errorf("identities %q: expected TYPE:from[:to]", id)
		}
		ident := settlement.Identity{Type: parts[0], Begin: parts[1]}
		if len(parts) > 2 {
			ident.End = parts[2]
		}
		p.Identities = append(p.Identities, ident)
	}
	return p, nil
}

func filingCommand() *cobra.Command {
	im := &importer[settlement.FilingRow]{
		path:  "/admin/v1/filings/batch",
		check: settlement.FilingRow.Check,
		key:   func(r settlement.FilingRow) string { return r.PsnNo },
		fromCSV: func(m map[string]string) (settlement.FilingRow, error) {
			return settlement.FilingRow{PsnNo: m["psn_no"], Filing: settlement.Filing{Sn: m["trt_dcla_detl_sn"],
				Category: settlement.FilingCategory(m["category"]), TreatAdmdvs: m["treat_admdvs"],
				ValidFrom: m["valid_from"], ValidTo: m["valid_to"]}}, nil
		},
	}
	cmd := &cobra.Command{Use: "filing", Short: "Import cross-region filings"}
	imp := &cobra.Command{
		Use:   "import -f FILE",
		Short: "Import cross-region filings (备案) from CSV or JSON lines",
		Long: `import adds filings to persons already registered, in batches, with progress and a summary
of the rows refused (unknown person, bad category or dates). A filing with the serial of one
already on record replaces it, so re-importing a file is harmless.

CSV columns: psn_no, category (LONG_TERM, REFERRAL, EMERGENCY, TEMP_OTHER), treat_admdvs
(a region or its prefix), valid_from, valid_to, trt_dcla_detl_sn (optional serial).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return im.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	im.register(imp)
	cmd.AddCommand(imp)
	return cmd
}
