package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/provgate/provgate/consensus"
	"github.com/provgate/provgate/settlement"
)

// Cluster is what the gateway needs to act as one gateway across nodes:
// where the leader is, and membership for operators. *consensus.Node
// satisfies it.
type Cluster interface {
	LeaderHTTP() (string, bool)
	// LeaderRelay is the base URL (scheme and address) to relay to.
	LeaderRelay() (string, bool)
	Join(ctx context.Context, m consensus.Member) error
	RemoveServer(ctx context.Context, id string) error
	TransferLeadership(ctx context.Context, id, addr string) error
	Members() ([]consensus.Peer, error)
	Nodes() ([]consensus.Member, error)
	Status() consensus.Status
}

// headerForwarded marks a request a follower relayed; a relayed request is
// never relayed again, so a leadership change cannot make requests loop.
const headerForwarded = "X-Provgate-Forwarded"

// public wraps the hospital-facing handler. With an internal channel, relays
// arrive only there, so a relay marker on the public port is dropped: no
// one outside the cluster can pose as a node.
func (s *Server) public(h http.Handler) http.Handler {
	if s.cfg.Internal == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del(headerForwarded)
		h.ServeHTTP(w, r)
	})
}

// relayed wraps the internal channel's handler: the relaying node is named
// by its verified certificate, not by what it says.
func relayed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "mutual TLS required", http.StatusForbidden)
			return
		}
		r.Header.Set(headerForwarded, r.TLS.PeerCertificates[0].Subject.CommonName)
		h.ServeHTTP(w, r)
	})
}

// forwardable reports whether err means "ask the leader" and this request
// may still be relayed.
func (s *Server) forwardable(c *gin.Context, err error) bool {
	return s.cfg.Cluster != nil && errors.Is(err, consensus.ErrNotLeader) && c.GetHeader(headerForwarded) == ""
}

// forward relays the request to the leader as it came (body and the
// hospital's signed headers), and relays the answer. If the relay fails
// after the leader may have acted, the answer is "outcome unknown, retry
// with the same msgid": the retry finds the stored answer.
func (s *Server) forward(c *gin.Context, body []byte) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.RequestTimeout)
	defer cancel()
	leader, _ := s.cfg.Cluster.LeaderRelay()
	r, err := s.relay(ctx, c, body, leader)
	if err != nil {
		s.relayFailed(c, err)
		return
	}
	r.write(c)
}

// relayedAnswer is the leader's answer to a relayed request.
type relayedAnswer struct {
	status int
	header http.Header
	body   []byte
	leader string
}

// retry reports whether the leader answered "retry with the same msgid"
// because of its own condition (it lost leadership, or had none), which
// the relaying node may retry for the hospital within the deadline.
func (r relayedAnswer) retry() bool { return r.header.Get(headerRetry) != "" }

func (r relayedAnswer) write(c *gin.Context) {
	for _, h := range []string{"Content-Type", "Idempotent-Replayed"} {
		if v := r.header.Get(h); v != "" {
			c.Header(h, v)
		}
	}
	if r.leader != "" {
		c.Header(headerLeader, r.leader)
	}
	c.Data(r.status, r.header.Get("Content-Type"), r.body)
}

// headerLeader names, on an answer the leader decided for the node the
// hospital reached, the leader's HTTP address.
const headerLeader = "X-Provgate-Leader"

// headerRetry marks an answer that asks for a retry with the same msgid
// because of the cluster's condition rather than the request.
const headerRetry = "X-Provgate-Retry"

// relay sends the request to the leader at base URL leader ("" when none
// is known). Its errors are the consensus ones: ErrNoLeader when nothing
// was sent, ErrOutcomeUnknown when the leader may have acted.
func (s *Server) relay(ctx context.Context, c *gin.Context, body []byte, leader string) (relayedAnswer, error) {
	if !s.relayable(leader) {
		return relayedAnswer{}, consensus.ErrNoLeader
	}
	req, err := http.NewRequestWithContext(ctx, c.Request.Method, leader+c.Request.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return relayedAnswer{}, err
	}
	for _, h := range []string{"Content-Type", "Authorization", headerPaasID, headerTimestamp, headerNonce, headerSignature} {
		if v := c.GetHeader(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	req.Header.Set(headerForwarded, s.cfg.NodeID)
	resp, err := s.client.Do(req)
	if err != nil {
		return relayedAnswer{}, consensus.ErrOutcomeUnknown
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return relayedAnswer{}, consensus.ErrOutcomeUnknown
	}
	r := relayedAnswer{status: resp.StatusCode, header: resp.Header, body: out}
	r.leader, _ = s.cfg.Cluster.LeaderHTTP()
	return r, nil
}

// relayable reports whether requests may be relayed to the leader at base
// URL leader: one is known, and with the cluster's mutual TLS on, it has an
// internal channel (relaying in the clear would bypass it).
func (s *Server) relayable(leader string) bool {
	if leader == "" {
		return false
	}
	if s.cfg.Internal != nil && !strings.HasPrefix(leader, "https://") {
		s.cfg.Logger.Warn("leader has no internal mutual-TLS address; not relaying", "leader", leader)
		return false
	}
	return true
}

// relayOrRefuse answers an admin call that failed with err: relayed to the
// leader when err says the leader must decide it, refused otherwise.
func (s *Server) relayOrRefuse(c *gin.Context, body []byte, err error) {
	if s.forwardable(c, err) {
		s.forward(c, body)
		return
	}
	s.adminRefuse(c, err)
}

func (s *Server) relayFailed(c *gin.Context, err error) {
	if _, hospital := c.Get(formatKey); hospital {
		s.refuse(c, time.Now(), err)
		return
	}
	s.adminRefuse(c, err)
}

// routeCluster registers the membership endpoints of the admin API.
func (s *Server) routeCluster(g *gin.RouterGroup) {
	g.GET("/cluster", func(c *gin.Context) {
		members, err := s.cfg.Cluster.Members()
		if err != nil {
			s.adminRefuse(c, err)
			return
		}
		nodes, _ := s.cfg.Cluster.Nodes()
		leader, _ := s.cfg.Cluster.LeaderHTTP()
		c.JSON(http.StatusOK, gin.H{"members": members, "nodes": nodes, "leader_http": leader, "this": s.cfg.Cluster.Status()})
	})
	g.POST("/cluster/join", func(c *gin.Context) {
		s.clusterChange(c, func(ctx context.Context, body []byte) error {
			var m consensus.Member
			if err := decodeStrict(body, &m); err != nil {
				return err
			}
			return s.cfg.Cluster.Join(ctx, m)
		})
	})
	g.POST("/cluster/remove", func(c *gin.Context) {
		s.clusterChange(c, func(ctx context.Context, body []byte) error {
			var m consensus.Member
			if err := decodeStrict(body, &m); err != nil {
				return err
			}
			return s.cfg.Cluster.RemoveServer(ctx, m.ID)
		})
	})
	g.POST("/cluster/transfer-leader", func(c *gin.Context) {
		s.clusterChange(c, func(ctx context.Context, body []byte) error {
			var m consensus.Member
			if err := decodeStrict(body, &m); err != nil {
				return err
			}
			return s.cfg.Cluster.TransferLeadership(ctx, m.ID, m.RaftAddr)
		})
	})
}

func (s *Server) clusterChange(c *gin.Context, change func(context.Context, []byte) error) {
	body, err := readBody(c, 1<<20)
	if err != nil {
		s.adminRefuse(c, settlement.Errorf(settlement.CodeBadConfig, "body too large"))
		return
	}
	if err := change(c.Request.Context(), body); err != nil {
		s.relayOrRefuse(c, body, err)
		return
	}
	s.cfg.Logger.Info("cluster change", "path", c.FullPath())
	c.JSON(http.StatusOK, gin.H{"ok": true})
}
