package teams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// errNotInstalledYet says Graph does not show the app installed for the
// user, or its chat, yet, although the install was accepted: a later
// attempt finds it.
var errNotInstalledYet = errors.New("the app's installation or chat is not visible in Graph yet")

// errLeftTenant says Graph does not know the user any more, or their
// account is disabled.
var errLeftTenant = errors.New("the user is not in the directory or is disabled")

// userGone asks Graph whether the user with AAD object id aad is gone from
// the directory (404) or disabled.
func (g *Graph) userGone(ctx context.Context, tenant, aad string) (bool, error) {
	var u graphUser
	err := g.once(ctx, http.MethodGet, g.cfg.GraphURL+"/users/"+url.PathEscape(aad)+"?$select="+graphSelect, tenant, nil, &u)
	switch {
	case isStatus(err, http.StatusNotFound):
		return true, nil
	case err != nil:
		return false, err
	}
	return u.AccountEnabled != nil && !*u.AccountEnabled, nil
}

// installedChat installs the app (catalog id appID) for the user with AAD
// object id aad, in the user's personal scope, and returns the id of the
// user's chat with the bot, which is its Bot Framework conversation id
// (DESIGN §7). A 409 on the install means it was installed already. Each
// of the three Graph calls is made once.
func (g *Graph) installedChat(ctx context.Context, tenant, aad, appID string) (string, error) {
	apps := g.cfg.GraphURL + "/users/" + url.PathEscape(aad) + "/teamwork/installedApps"
	bind := map[string]string{"teamsApp@odata.bind": g.cfg.GraphURL + "/appCatalogs/teamsApps/" + url.PathEscape(appID)}
	if err := g.once(ctx, http.MethodPost, apps, tenant, bind, nil); err != nil && !isStatus(err, http.StatusConflict) {
		if isStatus(err, http.StatusNotFound) || isStatus(err, http.StatusForbidden) {
			// The user gone, or the app id wrong, or a permission missing:
			// only the user's own entry tells which.
			if gone, lookErr := g.userGone(ctx, tenant, aad); lookErr == nil && gone {
				err = fmt.Errorf("%w (%w)", errLeftTenant, err)
			}
		}
		return "", fmt.Errorf("installing app %s for user %s: %w", appID, aad, err)
	}
	filter := "teamsApp/id eq '" + strings.ReplaceAll(appID, "'", "''") + "'"
	q := "$expand=teamsApp&$filter=" + strings.ReplaceAll(url.QueryEscape(filter), "+", "%20")
	var found struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	if err := g.once(ctx, http.MethodGet, apps+"?"+q, tenant, nil, &found); err != nil {
		return "", fmt.Errorf("finding app %s installed for user %s: %w", appID, aad, err)
	}
	if len(found.Value) == 0 || found.Value[0].ID == "" {
		return "", errNotInstalledYet
	}
	var chat struct {
		ID string `json:"id"`
	}
	err := g.once(ctx, http.MethodGet, apps+"/"+url.PathEscape(found.Value[0].ID)+"/chat", tenant, nil, &chat)
	if isStatus(err, http.StatusNotFound) {
		return "", fmt.Errorf("%w (%w)", errNotInstalledYet, err)
	} else if err != nil {
		return "", fmt.Errorf("finding the chat of user %s with the bot: %w", aad, err)
	}
	if chat.ID == "" {
		return "", errNotInstalledYet
	}
	return chat.ID, nil
}

// once makes one Graph call (paced by the Graph limiter) with no retry:
// the broadcaster retries a failed send as a whole.
func (g *Graph) once(ctx context.Context, method, u, tenant string, body, out any) error {
	if g.err != nil {
		return g.err
	}
	if err := g.limiter.wait(ctx, 1); err != nil {
		return err
	}
	r := g.request(method, u, tenant, body)
	r.single = true
	return do(ctx, g.cfg.HTTPClient, r, out)
}
