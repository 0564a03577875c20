package gateway

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/provgate/provgate/settlement"
)

// Admin is what the operators' API needs from the replicated state.
// *consensus.Node satisfies it.
type Admin interface {
	PutPolicy(ctx context.Context, p settlement.Policy) error
	PutCatalog(ctx context.Context, c settlement.Catalog) error
	PutHospital(ctx context.Context, h settlement.Hospital) error
	PutPerson(ctx context.Context, p settlement.Person) error
	PutPersons(ctx context.Context, ps []settlement.Person) ([]settlement.Rejection, error)
	AddFilings(ctx context.Context, rows []settlement.FilingRow) ([]settlement.Rejection, error)
	Hospitals(ctx context.Context) ([]settlement.Hospital, error)
	Policies(ctx context.Context) ([]settlement.Policy, error)
	Catalogs(ctx context.Context) ([]settlement.CatalogVersion, error)
}

// statusFor maps a refusal's class to the HTTP status of the admin API.
// (The national interface always answers 200 with infcode; operators'
// tools branch on HTTP status.)
func statusFor(e *settlement.Error) int {
	switch e.Class() {
	case settlement.ClassInvalid:
		return http.StatusBadRequest
	case settlement.ClassNotFound:
		return http.StatusNotFound
	case settlement.ClassConflict:
		return http.StatusConflict
	case settlement.ClassRefused:
		return http.StatusUnprocessableEntity
	case settlement.ClassUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// routeAdmin registers /admin/v1. Without a token the API is off: every
// call is refused rather than left open.
func (s *Server) routeAdmin(e *gin.Engine) {
	g := e.Group("/admin/v1", s.authorizeAdmin)
	g.GET("/policies", func(c *gin.Context) { list(c, s, s.cfg.Admin.Policies) })
	g.GET("/catalogs", func(c *gin.Context) { list(c, s, s.cfg.Admin.Catalogs) })
	g.GET("/hospitals", func(c *gin.Context) {
		list(c, s, func(ctx context.Context) ([]settlement.Hospital, error) {
			hs, err := s.cfg.Admin.Hospitals(ctx)
			for i := range hs {
				if hs[i].Token != "" {
					hs[i].Token = "(set)" // tokens are never shown
				}
			}
			return hs, err
		})
	})
	g.POST("/policies", func(c *gin.Context) {
		put(c, s, func(ctx context.Context, p settlement.Policy) (string, error) {
			return p.Ref(), s.cfg.Admin.PutPolicy(ctx, p)
		})
	})
	g.POST("/catalogs", func(c *gin.Context) {
		put(c, s, func(ctx context.Context, cat settlement.Catalog) (string, error) {
			return cat.Ref(), s.cfg.Admin.PutCatalog(ctx, cat)
		})
	})
	g.POST("/hospitals", func(c *gin.Context) {
		put(c, s, func(ctx context.Context, h settlement.Hospital) (string, error) {
			return h.Code, s.cfg.Admin.PutHospital(ctx, h)
		})
	})
	g.POST("/persons", func(c *gin.Context) {
		put(c, s, func(ctx context.Context, p settlement.Person) (string, error) {
			return p.PsnNo, s.cfg.Admin.PutPerson(ctx, p)
		})
	})
	if s.cfg.Cluster != nil {
		s.routeCluster(g)
	}
	if s.cfg.Backup != nil {
		g.GET("/backup", func(c *gin.Context) {
			c.Header("Content-Type", "application/octet-stream")
			c.Header("Content-Disposition", `attachment; filename="provgate.snap"`)
			c.Status(http.StatusOK)
			index, n, err := s.cfg.Backup(c.Writer)
			if err != nil {
				// The status is sent; a broken stream fails the client's checksum.
				s.cfg.Logger.Error("backup failed", "err", err, "bytes", n)
				return
			}
			s.cfg.Logger.Info("backup", "index", index, "bytes", n)
		})
	}
	if s.cfg.Verify != nil {
		g.GET("/verify", func(c *gin.Context) {
			v, err := s.cfg.Verify()
			if err != nil {
				s.adminRefuse(c, err)
				return
			}
			c.JSON(http.StatusOK, v)
		})
	}
	g.POST("/persons/batch", func(c *gin.Context) { batch(c, s, s.cfg.Admin.PutPersons) })
	g.POST("/filings/batch", func(c *gin.Context) { batch(c, s, s.cfg.Admin.AddFilings) })
}

func (s *Server) authorizeAdmin(c *gin.Context) {
	if s.cfg.Admin == nil || s.cfg.AdminToken == "" {
		adminError(c, http.StatusForbidden, "the admin API is off: start the node with an admin token")
		return
	}
	got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.AdminToken)) != 1 {
		adminError(c, http.StatusUnauthorized, "missing or wrong bearer token")
		return
	}
	c.Next()
}

func adminError(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, gin.H{"error": msg})
}

func list[T any](c *gin.Context, s *Server, fn func(context.Context) ([]T, error)) {
	items, err := fn(c.Request.Context())
	if err != nil {
		s.relayOrRefuse(c, nil, err)
		return
	}
	if items == nil {
		items = []T{}
	}
	c.JSON(http.StatusOK, items)
}

// put decodes one object, hands it to the ledger (which validates it and
// replicates it through Raft) and answers with its reference.
func put[T any](c *gin.Context, s *Server, apply func(context.Context, T) (string, error)) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<20))
	if err != nil {
		adminError(c, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	var v T
	if err := decodeStrict(body, &v); err != nil {
		s.adminRefuse(c, err)
		return
	}
	ref, err := apply(c.Request.Context(), v)
	if err != nil {
		s.relayOrRefuse(c, body, err)
		return
	}
	s.cfg.Logger.Info("admin change", "path", c.FullPath(), "ref", ref)
	c.JSON(http.StatusOK, gin.H{"applied": ref})
}

// maxBatchRows bounds one bulk call, so that it fits one log entry.
const maxBatchRows = 2000

// batch applies a bulk import call: one log entry for all its rows; the
// answer lists the rows refused and why.
func batch[T any](c *gin.Context, s *Server, apply func(context.Context, []T) ([]settlement.Rejection, error)) {
	var rows []T
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, 8<<20))
	if err == nil {
		err = json.Unmarshal(body, &rows)
	}
	if err != nil {
		s.adminRefuse(c, settlement.Errorf(settlement.CodeBadConfig, "JSON array: "+err.Error()))
		return
	}
	if len(rows) > maxBatchRows {
		s.adminRefuse(c, settlement.Errorf(settlement.CodeBadConfig, "at most 2000 rows per call"))
		return
	}
	rejected, err := apply(c.Request.Context(), rows)
	if err != nil {
		s.relayOrRefuse(c, body, err)
		return
	}
	if rejected == nil {
		rejected = []settlement.Rejection{}
	}
	s.cfg.Logger.Info("admin import", "path", c.FullPath(), "rows", len(rows), "rejected", len(rejected))
	c.JSON(http.StatusOK, gin.H{"rows": len(rows), "rejected": rejected})
}

// decodeStrict decodes one JSON object, refusing unknown fields.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return settlement.Errorf(settlement.CodeBadConfig, "JSON: "+err.Error())
	}
	return nil
}

func (s *Server) adminRefuse(c *gin.Context, err error) {
	e, internal := answerFor(err)
	if internal {
		s.cfg.Logger.Error("admin: internal error", "path", c.FullPath(), "ref", e.ZH, "err", err)
	}
	status := statusFor(e)
	if errors.Is(err, context.DeadlineExceeded) {
		status = http.StatusGatewayTimeout
	}
	c.AbortWithStatusJSON(status, gin.H{"code": e.Code, "error": e.Error()})
}
