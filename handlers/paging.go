package handlers

import (
	"encoding/base64"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

const (
	defaultLimit = 100
	maxLimit     = 1000
)

// pageOf reads ?limit and ?cursor. The cursor is opaque to clients: the
// base64url of the last id they saw.
func pageOf(c *gin.Context) (segmentbot.Page, error) {
	p := segmentbot.Page{Limit: defaultLimit}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return p, segmentbot.Errorf(segmentbot.EINVALID, "limit must be a whole number from 1 to %d.", maxLimit)
		}
		p.Limit = n
	}
	if v := c.Query("cursor"); v != "" {
		id, ok := decodeCursor(v)
		if !ok {
			return p, segmentbot.Errorf(segmentbot.EINVALID, "cursor is not one this API returned.")
		}
		p.After = id
	}
	return p, nil
}

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	id, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || id < 1 {
		return 0, false
	}
	return id, true
}

// trimPage cuts items to limit and returns the cursor of the next page, or
// "" on the last one. Callers fetch one item more than the limit to know
// whether another page follows.
func trimPage[T any](items []T, limit int, id func(T) int64) ([]T, string) {
	if items == nil {
		items = []T{} // an empty page is [], not null
	}
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, encodeCursor(id(items[len(items)-1]))
}

// pageSlice pages a list the store returns whole, in its order: the items
// after the one with id p.After. A cursor whose item is gone (a broadcast
// that became past) yields an empty last page.
func pageSlice[T any](items []T, id func(T) int64, p segmentbot.Page) ([]T, string) {
	start := 0
	if p.After != 0 {
		start = len(items)
		for i, it := range items {
			if id(it) == p.After {
				start = i + 1
				break
			}
		}
	}
	return trimPage(items[start:], p.Limit, id)
}

// findPage reads ?limit and ?cursor, asks find for one item more than the
// limit (to know whether another page follows), and returns the page and
// the cursor of the next one.
func findPage[T any](c *gin.Context, find func(p segmentbot.Page) ([]T, error), id func(T) int64) ([]T, string, error) {
	p, err := pageOf(c)
	if err != nil {
		return nil, "", err
	}
	limit := p.Limit
	p.Limit++
	items, err := find(p)
	if err != nil {
		return nil, "", err
	}
	items, next := trimPage(items, limit, id)
	return items, next, nil
}
