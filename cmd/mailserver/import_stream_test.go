package main

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/mailserver/mailserver/store"
)

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	writeFrame(&buf, &frame{Kind: frameMessage, Folder: "A/B", Flags: []string{`\Seen`}, Date: 1e18, Size: 5}, []byte("hello"))
	writeFrame(&buf, &frame{Kind: frameState, State: store.ImportState{Source: "s", UIDValidity: 2, LastUID: 3}}, nil)
	writeFrame(&buf, &frame{Kind: frameMessage, Size: 3}, []byte("abc"))
	fr := newFrameReader(&buf)
	f, err := fr.next()
	if err != nil || f.Folder != "A/B" || f.Size != 5 {
		t.Fatalf("%+v %v", f, err)
	}
	b, _ := io.ReadAll(fr.body())
	if string(b) != "hello" {
		t.Fatalf("body %q", b)
	}
	if f, err = fr.next(); err != nil || f.State.LastUID != 3 {
		t.Fatalf("%+v %v", f, err)
	}
	if f, err = fr.next(); err != nil || f.Size != 3 { // its body is skipped by next
		t.Fatalf("%+v %v", f, err)
	}
	if _, err = fr.next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	// A stream cut inside a body is an error, not a shorter message.
	fr = newFrameReader(bytes.NewReader([]byte(`{"k":"m","n":10}` + "\nabc")))
	if _, err := fr.next(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(fr.body()); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("cut body: %v", err)
	}
}

func FuzzFrameReader(f *testing.F) {
	f.Add([]byte(`{"k":"m","n":3}` + "\nabc" + `{"k":"s","s":{"source":"x"}}` + "\n"))
	f.Add([]byte(`{"k":"m","n":-1}` + "\n"))
	f.Add([]byte("{\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr := newFrameReader(bytes.NewReader(b))
		for range len(b) + 1 {
			fm, err := fr.next()
			if err != nil {
				return
			}
			if fm.Size < 0 {
				t.Fatal("negative size accepted")
			}
		}
		t.Fatal("more frames than bytes")
	})
}
