package national

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/sony/gobreaker/v2"

	"github.com/provgate/provgate/tif"
)

// ClientConfig configures a Client. Zero durations and counts take the
// defaults named on each field.
type ClientConfig struct {
	URL             string        // hub base URL, e.g. http://127.0.0.1:9000
	PaasID, Secret  string        // this province's credentials at the hub
	AttemptTimeout  time.Duration // per attempt (default 3s)
	Attempts        int           // per Call (default 4); the ctx deadline also bounds a Call
	BackoffBase     time.Duration // default 100ms, exponential with jitter, capped by BackoffMax (default 2s)
	BackoffMax      time.Duration
	BreakerFailures int           // consecutive failed Calls that open the circuit (default 5)
	BreakerCooldown time.Duration // open period before one probe is let through (default 10s)
	HTTPClient      *http.Client  // optional (TLS); default has sane timeouts and keep-alive
	Now             func() time.Time
}

// maxReplyBytes bounds an answer; settlement outputs are a few kilobytes.
const maxReplyBytes = 8 << 20

// Client calls the national platform. It is safe for concurrent use; the
// circuit breaker is shared by all calls.
type Client struct {
	cfg     ClientConfig
	base    string
	breaker *gobreaker.CircuitBreaker[Reply]
}

// NewClient checks cfg and fills in its defaults.
func NewClient(cfg ClientConfig) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("national client: URL %q is not an http(s) base URL", cfg.URL)
	}
	if cfg.PaasID == "" || cfg.Secret == "" {
		return nil, errors.New("national client: PaasID and Secret are required")
	}
	if cfg.AttemptTimeout < 0 || cfg.Attempts < 0 || cfg.BackoffBase < 0 || cfg.BackoffMax < 0 ||
		cfg.BreakerFailures < 0 || cfg.BreakerCooldown < 0 {
		return nil, errors.New("national client: durations and counts may not be negative")
	}
	setDefault(&cfg.AttemptTimeout, 3*time.Second)
	setDefault(&cfg.Attempts, 4)
	setDefault(&cfg.BackoffBase, 100*time.Millisecond)
	setDefault(&cfg.BackoffMax, 2*time.Second)
	setDefault(&cfg.BreakerFailures, 5)
	setDefault(&cfg.BreakerCooldown, 10*time.Second)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = defaultHTTPClient()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	failures := uint32(cfg.BreakerFailures)
	return &Client{
		cfg:  cfg,
		base: strings.TrimSuffix(cfg.URL, "/"),
		breaker: gobreaker.NewCircuitBreaker[Reply](gobreaker.Settings{
			Name:        "national",
			MaxRequests: 1, // one probe when half-open
			Timeout:     cfg.BreakerCooldown,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
			// A caller that gave up says nothing about the platform.
			IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		}),
	}, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// defaultHTTPClient keeps connections to the hub alive between calls and
// does not follow redirects: a redirected POST is a misconfigured URL. Each
// attempt's context bounds it, so it needs no overall timeout.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Call sends call to the platform and returns its answer. A Call that
// cannot be sent (missing msgid, bad region...) is refused with a
// *settlement.Error before anything is sent. Every failure to get an
// answer wraps ErrUnavailable; a refusal (Infcode -1) is an answer, not an
// error.
func (c *Client) Call(ctx context.Context, call Call) (Reply, error) {
	body, err := call.encode()
	if err != nil {
		return Reply{}, err
	}
	reply, err := c.breaker.Execute(func() (Reply, error) { return c.send(ctx, call, body) })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return Reply{}, fmt.Errorf("%w: circuit %s after repeated failures, msgid %s not sent", ErrUnavailable, c.Breaker(), call.MsgID)
	}
	return reply, err
}

// Breaker reports the circuit's state: "closed", "open" or "half-open".
func (c *Client) Breaker() string { return c.breaker.State().String() }

// send makes up to Attempts attempts with the same body, backing off
// between them, within ctx.
func (c *Client) send(ctx context.Context, call Call, body []byte) (Reply, error) {
	endpoint := c.base + "/national/" + call.Infno
	attempts := 0
	var last error
	reply, err := backoff.Retry(ctx, func() (Reply, error) {
		attempts++
		r, err := c.attempt(ctx, endpoint, body)
		if err != nil {
			last = err
		}
		return r, err
	}, backoff.WithBackOff(c.backoff()), backoff.WithMaxTries(uint(c.cfg.Attempts)), backoff.WithMaxElapsedTime(0))
	if err == nil {
		return reply, nil
	}
	if cause := context.Cause(ctx); cause != nil {
		return Reply{}, fmt.Errorf("%w: infno %s msgid %s: %w after %d attempt(s), last: %v", ErrUnavailable, call.Infno, call.MsgID, cause, attempts, last)
	}
	return Reply{}, fmt.Errorf("%w: infno %s msgid %s, %d attempt(s): %w", ErrUnavailable, call.Infno, call.MsgID, attempts, last)
}

// attempt posts body once with fresh x-tif headers. It returns an error for
// everything that is not an answer; the ones a retry cannot change are
// marked permanent.
func (c *Client) attempt(ctx context.Context, endpoint string, body []byte) (Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return Reply{}, backoff.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	tif.SignRequest(req, c.cfg.PaasID, c.cfg.Secret, c.cfg.Now())
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes+1))
	if err != nil {
		return Reply{}, fmt.Errorf("HTTP %d, reading the answer: %w", resp.StatusCode, err)
	}
	if len(data) > maxReplyBytes {
		return Reply{}, backoff.Permanent(fmt.Errorf("HTTP %d, answer larger than %d bytes", resp.StatusCode, maxReplyBytes))
	}
	r, ok := decodeReply(data)
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return Reply{}, fmt.Errorf("HTTP %d%s", resp.StatusCode, reason(r, ok))
	case !ok && resp.StatusCode/100 == 2:
		return Reply{}, fmt.Errorf("HTTP %d without a response envelope", resp.StatusCode)
	case !ok:
		return Reply{}, backoff.Permanent(fmt.Errorf("HTTP %d without a response envelope", resp.StatusCode))
	case r.retryLater():
		return Reply{}, fmt.Errorf("the insured place asks for a retry: %s", r.ErrMsg)
	}
	return r, nil
}

// reason is the err_msg of an envelope, for an error text. Other bodies are
// not quoted: they may be anything.
func reason(r Reply, ok bool) string {
	if !ok || r.ErrMsg == "" {
		return ""
	}
	return ": " + r.ErrMsg
}

// backoff is the wait between attempts: exponential from BackoffBase with
// ±50% jitter, never above BackoffMax. One per Call; it is not shared.
func (c *Client) backoff() backoff.BackOff {
	return &cappedBackOff{
		exp: backoff.ExponentialBackOff{InitialInterval: c.cfg.BackoffBase, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: c.cfg.BackoffMax},
		max: c.cfg.BackoffMax,
	}
}

// cappedBackOff caps the jittered interval too: the library caps only the
// interval before jitter.
type cappedBackOff struct {
	exp backoff.ExponentialBackOff
	max time.Duration
}

func (b *cappedBackOff) NextBackOff() time.Duration { return min(b.exp.NextBackOff(), b.max) }
func (b *cappedBackOff) Reset()                     { b.exp.Reset() }
