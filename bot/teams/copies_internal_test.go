package teams

import (
	"reflect"
	"testing"

	"github.com/segmentbot/segmentbot"
)

// sameMessage compares by hand what reflect.DeepEqual would (it runs once
// per copy sent). A field added to Message, Button, Action or Fact must be
// compared there too; this test names the one that is not.
func TestSameMessageComparesEveryField(t *testing.T) {
	base := func() segmentbot.Message {
		return segmentbot.Message{
			Title: "t", Text: "x", ImageURL: "https://example.com/i.png", Note: "n", Card: []byte(`{}`),
			Facts:    []segmentbot.Fact{{Name: "a", Value: "b"}},
			Buttons:  []segmentbot.Button{{Title: "b", URL: "u", Say: "s", Action: &segmentbot.Action{Verb: "v", SegmentID: 1, Segments: []int64{2}, Arg: "g", Sig: "z"}}},
			Carousel: []segmentbot.Message{{Title: "c"}},
		}
	}
	if !sameMessage(base(), base()) {
		t.Fatal("two equal messages differ")
	}
	// Change each leaf field in turn, wherever it sits, and expect a difference.
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				walk(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
			return
		case reflect.Pointer:
			walk(path, v.Elem())
			return
		case reflect.Slice:
			if v.Len() > 0 && v.Type().Elem().Kind() != reflect.Uint8 && v.Type().Elem().Kind() != reflect.Int64 {
				walk(path+"[0]", v.Index(0))
				return
			}
		}
		t.Run(path, func(t *testing.T) {
			a, b := base(), base()
			changed := lookup(reflect.ValueOf(&b).Elem(), path)
			switch changed.Kind() {
			case reflect.String:
				changed.SetString(changed.String() + "!")
			case reflect.Bool:
				changed.SetBool(!changed.Bool())
			case reflect.Int64:
				changed.SetInt(changed.Int() + 1)
			case reflect.Slice:
				changed.Set(reflect.Append(changed, reflect.Zero(changed.Type().Elem())))
			default:
				t.Fatalf("%s: a %s field; teach this test to change it", path, changed.Kind())
			}
			if sameMessage(a, b) {
				t.Errorf("sameMessage ignores %s", path)
			}
		})
	}
	walk("Message", reflect.ValueOf(base()))
}

// lookup follows a path made by walk from a Message.
func lookup(v reflect.Value, path string) reflect.Value {
	for _, part := range splitPath(path)[1:] {
		for v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if part == "[0]" {
			v = v.Index(0)
			continue
		}
		v = v.FieldByName(part)
	}
	return v
}

func splitPath(path string) []string {
	var parts []string
	start := 0
	for i := 0; i <= len(path); i++ {
		if i == len(path) || path[i] == '.' || path[i] == '[' {
			if i > start {
				parts = append(parts, path[start:i])
			}
			if i < len(path) && path[i] == '[' {
				parts = append(parts, "[0]")
				i += 2
			}
			start = i + 1
		}
	}
	return parts
}
