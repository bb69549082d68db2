package signer_test

import (
	"encoding/json"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/signer"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func signed(s *signer.Signer, a segmentbot.Action) segmentbot.Action {
	s.SignAction(&a)
	return a
}

func TestSignedActionVerifies(t *testing.T) {
	s := signer.New(testKey)
	for _, a := range []segmentbot.Action{
		{Verb: segmentbot.VerbOptIn, SegmentID: 7},
		{Verb: segmentbot.VerbResubscribe, Segments: []int64{1, 2, 3}},
		{Verb: segmentbot.VerbPickSegment, SegmentID: 4, Arg: "file:abc"},
		{Verb: ""},
	} {
		a := signed(s, a)
		if a.Sig == "" {
			t.Fatalf("%+v: no signature set", a)
		}
		if err := s.VerifyAction(a); err != nil {
			t.Errorf("%+v: %v", a, err)
		}
	}
}

func TestSignedActionSurvivesJSON(t *testing.T) {
	s := signer.New(testKey)
	a := signed(s, segmentbot.Action{Verb: segmentbot.VerbOptOut, SegmentID: 9, Segments: []int64{9, 10}, Arg: "x"})
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back segmentbot.Action
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyAction(back); err != nil {
		t.Errorf("after a JSON round trip: %v", err)
	}
}

func TestSignatureIsDeterministicAcrossReplicas(t *testing.T) {
	a := signed(signer.New(testKey), segmentbot.Action{Verb: segmentbot.VerbOptIn, SegmentID: 1})
	if err := signer.New(append([]byte(nil), testKey...)).VerifyAction(a); err != nil {
		t.Errorf("another signer with the same key rejects: %v", err)
	}
}

func TestTamperedActionIsRejected(t *testing.T) {
	s := signer.New(testKey)
	orig := signed(s, segmentbot.Action{Verb: segmentbot.VerbOptIn, SegmentID: 7, Segments: []int64{7, 8}, Arg: "ab"})
	tests := []struct {
		name   string
		tamper func(a *segmentbot.Action)
	}{
		{"verb changed", func(a *segmentbot.Action) { a.Verb = segmentbot.VerbOptOut }},
		{"segment changed", func(a *segmentbot.Action) { a.SegmentID = 8 }},
		{"segment list changed", func(a *segmentbot.Action) { a.Segments = []int64{7, 9} }},
		{"segment added to list", func(a *segmentbot.Action) { a.Segments = append([]int64{7, 8}, 1) }},
		{"segment list dropped", func(a *segmentbot.Action) { a.Segments = nil }},
		{"arg changed", func(a *segmentbot.Action) { a.Arg = "ac" }},
		{"arg moved into verb", func(a *segmentbot.Action) { a.Verb, a.Arg = a.Verb+"a", "b" }},
		{"signature missing", func(a *segmentbot.Action) { a.Sig = "" }},
		{"signature garbled", func(a *segmentbot.Action) { a.Sig = "not base64!" }},
		{"signature truncated", func(a *segmentbot.Action) { a.Sig = a.Sig[:len(a.Sig)-2] }},
		{"signature of another action", func(a *segmentbot.Action) {
			a.Sig = signed(s, segmentbot.Action{Verb: segmentbot.VerbOptIn, SegmentID: 8}).Sig
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := orig
			a.Segments = append([]int64(nil), orig.Segments...)
			tt.tamper(&a)
			err := s.VerifyAction(a)
			if code := segmentbot.ErrorCode(err); code != segmentbot.EFORBIDDEN {
				t.Fatalf("code = %q (%v), want %q", code, err, segmentbot.EFORBIDDEN)
			}
			if msg := segmentbot.ErrorMessage(err); msg == "" || msg == "Internal error." {
				t.Errorf("message %q is not friendly", msg)
			}
		})
	}
}

func TestActionSignedWithAnotherKeyIsRejected(t *testing.T) {
	a := signed(signer.New([]byte("another key")), segmentbot.Action{Verb: segmentbot.VerbOptIn, SegmentID: 1})
	if code := segmentbot.ErrorCode(signer.New(testKey).VerifyAction(a)); code != segmentbot.EFORBIDDEN {
		t.Errorf("code = %q, want %q", code, segmentbot.EFORBIDDEN)
	}
}

func TestRandomKey(t *testing.T) {
	a, b := signer.RandomKey(), signer.RandomKey()
	if len(a) != 32 || len(b) != 32 {
		t.Fatalf("lengths %d, %d; want 32", len(a), len(b))
	}
	if string(a) == string(b) {
		t.Error("two random keys are equal")
	}
}

func TestNewRefusesEmptyKey(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New(nil) did not panic")
		}
	}()
	signer.New(nil)
}
