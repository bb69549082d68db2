package teams

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/idna"

	"github.com/segmentbot/segmentbot"
)

// Graph lookups: a $batch holds at most 20 requests; throttled or failed
// requests inside a batch are retried up to graphAttempts times.
const (
	graphBatchSize = 20
	graphAttempts  = 4
	graphSelect    = "id,displayName,mail,userPrincipalName,accountEnabled," + graphAttributes
	// graphAttributes are the standard attributes of DESIGN §8 by their
	// Graph names; lower-cased they are the attribute names.
	graphAttributes = "department,jobTitle,officeLocation,city,country,companyName,employeeType,preferredLanguage"
)

// Graph looks Teams users up in Microsoft Graph. It implements
// segmentbot.Directory.
type Graph struct {
	cfg     Config
	err     error // configuration error, reported by every call
	tokens  *tokenSource
	limiter *limiter
	conn    *Connector // the member API; nil: Graph only
}

var _ segmentbot.Directory = (*Graph)(nil)

// NewGraph builds a Graph client from the channel configuration.
func NewGraph(cfg Config) *Graph {
	cfg, err := cfg.withDefaults()
	return &Graph{cfg: cfg, err: err, tokens: newTokenSource(cfg), limiter: newLimiter(cfg.GraphRate)}
}

// Graph returns a Graph client sharing the channel's configuration and
// token cache.
func (c *Channel) Graph() *Graph {
	return &Graph{cfg: c.cfg, tokens: c.tokens, limiter: newLimiter(c.cfg.GraphRate), conn: c.conn}
}

// graphUser is the part of a Graph user that is selected.
type graphUser struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	Mail              string `json:"mail"`
	UserPrincipalName string `json:"userPrincipalName"`
	AccountEnabled    *bool  `json:"accountEnabled"`

	Department        graphText `json:"department"`
	JobTitle          graphText `json:"jobTitle"`
	OfficeLocation    graphText `json:"officeLocation"`
	City              graphText `json:"city"`
	Country           graphText `json:"country"`
	CompanyName       graphText `json:"companyName"`
	EmployeeType      graphText `json:"employeeType"`
	PreferredLanguage graphText `json:"preferredLanguage"`
}

// graphText is a text property that tells a null (the user has none)
// from a property the answer left out (a delta's unchanged one).
type graphText struct {
	set   bool
	value string
}

func (t *graphText) UnmarshalJSON(b []byte) error {
	t.set = true
	if string(b) == "null" {
		t.value = ""
		return nil
	}
	return json.Unmarshal(b, &t.value)
}

func (g graphUser) user(tenant string) *segmentbot.User {
	return &segmentbot.User{
		Channel:     segmentbot.ChannelTeams,
		TenantID:    tenant,
		AADObjectID: strings.ToLower(g.ID),
		Email:       strings.ToLower(g.Mail),
		UPN:         strings.ToLower(g.UserPrincipalName),
		Name:        g.DisplayName,
		Active:      g.AccountEnabled == nil || *g.AccountEnabled,
		Attributes:  g.attributes(),
	}
}

// attributes are the standard attributes the answer holds, by their
// attribute names (DirectoryAttributes); "" for a null or empty one.
func (g graphUser) attributes() map[string]string {
	attrs := map[string]string{}
	for name, t := range map[string]graphText{
		"department": g.Department, "jobtitle": g.JobTitle, "officelocation": g.OfficeLocation,
		"city": g.City, "country": g.Country, "companyname": g.CompanyName,
		"employeetype": g.EmployeeType, "preferredlanguage": g.PreferredLanguage,
	} {
		if t.set {
			attrs[name] = strings.TrimSpace(t.value)
		}
	}
	return attrs
}

// Lookup resolves emails/UPNs, AAD object ids and external ids (as the
// directory's employeeId) in batches of 20; every miss gets a result. It
// returns an error only when ctx ends.
func (g *Graph) Lookup(ctx context.Context, tenantID string, misses []segmentbot.Miss) ([]segmentbot.LookupResult, error) {
	if g.err != nil {
		return nil, g.err
	}
	results := make([]segmentbot.LookupResult, 0, len(misses))
	var ask []segmentbot.Miss
	for _, m := range misses {
		if m.Kind == segmentbot.KindEmail || m.Kind == segmentbot.KindAADID || m.Kind == segmentbot.KindExternal {
			ask = append(ask, m)
			continue
		}
		results = append(results, segmentbot.LookupResult{Miss: m, Reason: segmentbot.ReasonNotFound})
	}
	// A few batches in flight hide the round trip; the limiter still
	// holds the request rate.
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		slots    = make(chan struct{}, graphParallel)
	)
	for start := 0; start < len(ask); start += graphBatchSize {
		chunk := ask[start:min(start+graphBatchSize, len(ask))]
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			got, err := g.batch(ctx, tenantID, chunk)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				firstErr = cmp.Or(firstErr, err)
				return
			}
			results = append(results, got...)
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return results, nil
}

// graphParallel is how many $batch requests may be in flight at once.
const graphParallel = 4

type batchRequest struct {
	ID     string `json:"id"`
	Method string `json:"method"`
	URL    string `json:"url"`
}

type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    struct {
		graphUser             // GET /users/{id}
		Value     []graphUser `json:"value"` // GET /users?$filter=...
	} `json:"body"`
}

// lookupURL is the request, relative to the batch, that asks for the
// user of m: GET /users/{id-or-upn} (DESIGN §4), or, when that said 404
// for an email (byMail), the users whose mail is the address, since
// many people's address is not their UPN and GET /users/{value} knows a
// user only by object id or UPN. An internationalised address is asked
// for in its ASCII and its Unicode form, as the directory may hold either.
// An external id is the user's employeeId.
func lookupURL(m segmentbot.Miss, byMail bool) string {
	switch {
	case m.Kind == segmentbot.KindExternal:
		return filterURL("employeeId eq " + odataString(m.Norm))
	case !byMail:
		return "/users/" + url.PathEscape(m.Norm) + "?$select=" + graphSelect
	}
	filter := "mail eq " + odataString(m.Norm)
	if uni := unicodeAddress(m.Norm); uni != m.Norm {
		filter += " or mail eq " + odataString(uni) + " or userPrincipalName eq " + odataString(uni)
	}
	return filterURL(filter)
}

// filterURL asks for the users that match an OData filter.
func filterURL(filter string) string {
	return "/users?$filter=" + strings.ReplaceAll(url.QueryEscape(filter), "+", "%20") + "&$select=" + graphSelect
}

// odataString quotes s as an OData string literal: a quote is doubled.
func odataString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// unicodeAddress is an address with its ASCII (punycode) domain in
// Unicode, or the address as it is.
func unicodeAddress(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || !strings.Contains(domain, "xn--") {
		return addr
	}
	uni, err := idna.Lookup.ToUnicode(domain)
	if err != nil {
		return addr
	}
	return local + "@" + uni
}

// asked is a miss in a batch: how it is asked next and how often it was.
type asked struct {
	miss     segmentbot.Miss
	byMail   bool
	attempts int
}

// batch resolves up to 20 misses, retrying the throttled ones and asking
// again by mail about the emails that are no UPN.
func (g *Graph) batch(ctx context.Context, tenant string, misses []segmentbot.Miss) ([]segmentbot.LookupResult, error) {
	results := make([]segmentbot.LookupResult, 0, len(misses))
	pending := map[string]*asked{}
	for i, m := range misses {
		pending[fmt.Sprint(i+1)] = &asked{miss: m}
	}
	for len(pending) > 0 {
		reqs := make([]batchRequest, 0, len(pending))
		for id, a := range pending {
			a.attempts++
			reqs = append(reqs, batchRequest{ID: id, Method: http.MethodGet, URL: lookupURL(a.miss, a.byMail)})
		}
		// GraphRate counts HTTP requests: a $batch of 20 is one. Graph
		// itself may still throttle the requests inside it; those come
		// back as 429 and are retried below.
		if err := g.limiter.wait(ctx, 1); err != nil {
			return nil, err
		}
		var out struct {
			Responses []batchResponse `json:"responses"`
		}
		err := do(ctx, g.cfg.HTTPClient, g.request(http.MethodPost, g.cfg.GraphURL+"/$batch", tenant, map[string]any{"requests": reqs}), &out)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			reason := segmentbot.ReasonLookupError
			var se *StatusError
			if errors.As(err, &se) && se.Status == http.StatusForbidden {
				reason = segmentbot.ReasonPermissionDenied
			}
			for _, a := range pending {
				results = append(results, segmentbot.LookupResult{Miss: a.miss, Reason: reason})
			}
			return results, nil
		}
		var wait time.Duration
		retrying := false
		for _, r := range out.Responses {
			a, ok := pending[r.ID]
			if !ok {
				continue
			}
			if r.Status == http.StatusNotFound && a.miss.Kind == segmentbot.KindEmail && !a.byMail {
				a.byMail, a.attempts = true, 0 // not a UPN: ask by mail
				continue
			}
			res, retry := lookupResult(a.miss, r, tenant)
			if retry && a.attempts < graphAttempts {
				wait, retrying = max(wait, batchRetryAfter(r.Headers, a.attempts)), true
				continue
			}
			delete(pending, r.ID)
			results = append(results, res)
		}
		for id, a := range pending { // never answered
			if a.attempts >= graphAttempts {
				delete(pending, id)
				results = append(results, segmentbot.LookupResult{Miss: a.miss, Reason: segmentbot.ReasonLookupError})
			}
		}
		if retrying && len(pending) > 0 {
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
		}
	}
	return results, nil
}

// lookupResult reads one answer of a batch; retry when it asks for one.
func lookupResult(m segmentbot.Miss, r batchResponse, tenant string) (segmentbot.LookupResult, bool) {
	res := segmentbot.LookupResult{Miss: m}
	switch {
	case r.Status == http.StatusOK && r.Body.ID != "":
		res.User = r.Body.user(tenant)
	case r.Status == http.StatusOK && len(r.Body.Value) > 0 && r.Body.Value[0].ID != "":
		res.User = r.Body.Value[0].user(tenant)
	case r.Status == http.StatusOK, r.Status == http.StatusNotFound:
		res.Reason = segmentbot.ReasonNotFound
	case r.Status == http.StatusForbidden || r.Status == http.StatusUnauthorized:
		res.Reason = segmentbot.ReasonPermissionDenied
	case graphRetryable(r.Status):
		res.Reason = segmentbot.ReasonLookupError
		return res, true
	case r.Status == http.StatusBadRequest:
		res.Reason = segmentbot.ReasonNotFound // not a valid user id
	default:
		res.Reason = segmentbot.ReasonLookupError
	}
	return res, false
}

// batchRetryAfter reads Retry-After from a batch response's headers.
func batchRetryAfter(headers map[string]string, attempt int) time.Duration {
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	if d, ok := retryAfter(h); ok {
		return d
	}
	return backoff(attempt)
}

// Email returns the sign-in name of a user of the bot's home tenant
// (MicrosoftAppTenantId), for admin checks. It never answers for a user of
// another tenant (EFORBIDDEN): there, a tenant admin can give anyone any
// address; the name the member API shows for them comes back with the
// error, unverified, to explain the refusal. It asks the member API first (the email or UPN of the user's
// personal chat with the bot), then Graph, whose UPN it returns: Graph's
// mail attribute is never used, since it is not verified. ENOTFOUND when
// neither knows the user.
func (g *Graph) Email(ctx context.Context, u *segmentbot.User) (string, error) {
	if g.err != nil {
		return "", g.err
	}
	if u == nil {
		return "", segmentbot.Errorf(segmentbot.EINVALID, "No user to look up.")
	}
	if g.cfg.TenantID == "" || !strings.EqualFold(u.TenantID, g.cfg.TenantID) {
		// Only the member API is asked, so the refusal can say who the
		// sender claims to be.
		claimed, _ := g.memberName(ctx, u)
		return claimed, segmentbot.Errorf(segmentbot.EFORBIDDEN, "The user's tenant %q is not the bot's home tenant %q.", u.TenantID, g.cfg.TenantID)
	}
	if name, err := g.memberName(ctx, u); err != nil {
		g.cfg.Logger.Warn("teams: member API lookup for the admin check failed; asking Graph", "user", u.ExternalID, "err", err)
	} else if name != "" {
		return name, nil
	}
	if u.AADObjectID == "" {
		return "", segmentbot.Errorf(segmentbot.ENOTFOUND, "The user has no Azure AD object id.")
	}
	var gu graphUser
	target := g.cfg.GraphURL + "/users/" + url.PathEscape(u.AADObjectID) + "?$select=" + graphSelect
	if err := g.limiter.wait(ctx, 1); err != nil {
		return "", err
	}
	if err := do(ctx, g.cfg.HTTPClient, g.request(http.MethodGet, target, u.TenantID, nil), &gu); err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.Status == http.StatusNotFound {
			return "", segmentbot.Errorf(segmentbot.ENOTFOUND, "The user is not in the directory.")
		}
		return "", fmt.Errorf("teams: graph lookup of %s: %w", u.AADObjectID, err)
	}
	return strings.ToLower(gu.UserPrincipalName), nil
}

// memberName is the email, else the UPN, the member API gives for u in u's
// personal chat with the bot (in the conversation's tenant, which is u's);
// "" when there is no such chat to ask about.
func (g *Graph) memberName(ctx context.Context, u *segmentbot.User) (string, error) {
	if g.conn == nil || u.ConvRef == "" {
		return "", nil
	}
	ref, err := parseConvRef(u)
	if err != nil || ref.ConversationID == "" {
		return "", nil
	}
	m, err := g.conn.Member(ctx, ref.ServiceURL, ref.ConversationID, ref.UserID)
	if err != nil {
		return "", err
	}
	return strings.ToLower(cmp.Or(m.Email, m.UserPrincipalName)), nil
}

func (g *Graph) request(method, u, userTenant string, body any) request {
	tenant := g.cfg.graphTenant(userTenant)
	return request{
		method: method, url: u, body: body, retryable: graphRetryable,
		bearer: func(ctx context.Context) (string, error) {
			return g.tokens.Token(ctx, tenant, graphScope)
		},
		onUnauth: func() { g.tokens.forget(tenant, graphScope) },
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
