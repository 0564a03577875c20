package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/provgate/provgate/storage"
)

// progressWriter reports how much has passed through it, every second.
type progressWriter struct {
	w     io.Writer
	out   io.Writer
	n     int64
	what  string
	shown time.Time
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	if time.Since(p.shown) > time.Second {
		p.shown = time.Now()
		fmt.Fprintf(p.out, "  %s %.1f MiB\n", p.what, float64(p.n)/(1<<20))
	}
	return n, err
}

func backupCommand() *cobra.Command {
	var ac adminClient
	var file string
	cmd := &cobra.Command{
		Use:   "backup -o FILE",
		Short: "Save a point-in-time snapshot of a running node's state",
		Long: `backup streams a snapshot of the state of the node at --addr: one consistent cut, with the
Raft index and term it covers and a SHA-256 checksum that restore verifies.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			token := ac.token
			if token == "" {
				token = os.Getenv("PROVGATE_ADMIN_TOKEN")
			}
			addr := strings.TrimSuffix(ac.addr, "/")
			if !strings.Contains(addr, "://") {
				addr = "http://" + addr
			}
			req, err := http.NewRequestWithContext(cmd.Context(), http.MethodGet, addr+"/admin/v1/backup", nil)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(resp.Body)
				return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(b)))
			}
			tmp := file + ".part"
			f, err := os.Create(tmp)
			if err != nil {
				return err
			}
			pw := &progressWriter{w: f, out: cmd.ErrOrStderr(), what: "received", shown: time.Now()}
			_, err = io.Copy(pw, resp.Body)
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(tmp)
				return err
			}
			if err := os.Rename(tmp, file); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backup of %s: %s, %.1f MiB\n", addr, file, float64(pw.n)/(1<<20))
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "output", "o", "provgate.snap", "file to write")
	ac.register(cmd)
	return cmd
}

func restoreCommand() *cobra.Command {
	var file, dataDir string
	var force bool
	cmd := &cobra.Command{
		Use:   "restore -f FILE --data-dir DIR",
		Short: "Restore a backup into a stopped node's data directory, to start a new cluster from it",
		Long: `restore writes a backup into DIR/state: into a new directory first, verified against its
checksum, then swapped in, so a bad file leaves the directory as it was. The Raft log of the old
cluster in DIR/raft is removed (--force if it exists) and the applied index reset, so that

  provgate serve --config ... --data-dir DIR --bootstrap

forms a new cluster holding the restored state; the other nodes join it with fresh data
directories and receive the state as a snapshot.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raftDir := filepath.Join(dataDir, "raft")
			if _, err := os.Stat(raftDir); err == nil && !force {
				return fmt.Errorf("%s holds a Raft log of a cluster; stop the node and pass --force to replace it", raftDir)
			}
			in, err := os.Open(file)
			if err != nil {
				return err
			}
			defer in.Close()
			store, err := storage.Open(filepath.Join(dataDir, "state"), storage.Options{})
			if err != nil {
				return err
			}
			defer store.Close()
			pr := &progressReader{r: in, out: cmd.ErrOrStderr(), shown: time.Now()}
			index, term, err := store.Restore(pr)
			if err != nil {
				return err
			}
			if err := store.Update(func(tx *storage.Tx) error { return tx.SetApplied(0, 0) }); err != nil {
				return err
			}
			if err := os.RemoveAll(raftDir); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored %s (state at index %d, term %d, %.1f MiB) into %s\nstart it with --bootstrap to form a new cluster\n",
				file, index, term, float64(pr.n)/(1<<20), dataDir)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the backup")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "the node's data directory")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing Raft log")
	cmd.MarkFlagRequired("file")
	cmd.MarkFlagRequired("data-dir")
	return cmd
}

type progressReader struct {
	r     io.Reader
	out   io.Writer
	n     int64
	shown time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if time.Since(p.shown) > time.Second {
		p.shown = time.Now()
		fmt.Fprintf(p.out, "  restored %.1f MiB\n", float64(p.n)/(1<<20))
	}
	return n, err
}
