package openwire

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// dispatchFrame builds a MessageDispatch frame as the broker would send it, loose.
func dispatchFrame(m *Message, redeliveries int32) []byte {
	return dispatchFrameAs(m, redeliveries, false)
}

func decodeOne(t testing.TB, wire []byte) frame {
	t.Helper()
	f, err := readFrame(bufio.NewReader(bytes.NewReader(wire)), nil, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := decodeFrame(f, false, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fr
}

func TestDecodeMalformed(t *testing.T) {
	for _, enc := range encodings {
		wire := dispatchFrameAs(&Message{Kind: KindText, Text: "hi", Destination: Queue("q"), Properties: map[string]any{"a": "b"}}, 0, enc.tight)
		frame := wire[4:]
		// Up to the message id a truncated frame is an error; past it, the message fails
		// alone, carrying its id so that it can be acknowledged.
		failedAlone := 0
		for i := 1; i < len(frame); i++ {
			f, err := decodeFrame(frame[:i], enc.tight, 1<<20, nil)
			switch {
			case err != nil && failedAlone > 0:
				t.Errorf("%s: truncated at %d of %d: %v, after shorter frames failed only the message", enc.name, i, len(frame), err)
			case err != nil && !errors.Is(err, ErrMalformed):
				t.Errorf("%s: truncated at %d: error %v does not match ErrMalformed", enc.name, i, err)
			case err == nil && (f.msg == nil || f.msg.ID != "ID:host-1234-1700000000000-1:1:1:1:7" || !errors.Is(f.bodyErr, ErrMalformed)):
				t.Errorf("%s: truncated at %d of %d: no error, message %+v, bodyErr %v", enc.name, i, len(frame), f.msg, f.bodyErr)
			case err == nil:
				failedAlone++
			}
		}
		if failedAlone == 0 {
			t.Errorf("%s: no truncation failed only the message", enc.name)
		}
	}
	// a size prefix above the limit is refused before anything is allocated
	big := []byte{0x7f, 0xff, 0xff, 0xff, typeMessageDispatch}
	if _, err := readFrame(bufio.NewReader(bytes.NewReader(big)), nil, 1<<20); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("huge frame: %v", err)
	}
	// a compressed body that inflates past the limit is refused
	m := &Message{Kind: KindBytes, Body: make([]byte, 1<<20), Compressed: true, Destination: Queue("q")}
	f, err := decodeFrame(dispatchFrame(m, 0)[4:], false, 1000, nil)
	if err != nil || !errors.Is(f.bodyErr, ErrFrameTooLarge) {
		t.Errorf("zip bomb: %v %v", err, f.bodyErr)
	}
}

func TestExceptionResponseDecoding(t *testing.T) {
	var e encoder
	start := e.beginFrame(typeExceptionResponse)
	e.command(9, false)
	e.int32(5)
	e.throwable("java.lang.SecurityException", "User name [app] or password is invalid.")
	e.endFrame(start)
	f := decodeOne(t, e.b)
	if f.corr != 5 || f.brokerErr.Class != "java.lang.SecurityException" || f.brokerErr.Message != "User name [app] or password is invalid." {
		t.Fatalf("%+v", f)
	}
}

// fuzzSeedMessages makes the messages of the fuzz seeds, fresh on each call.
func fuzzSeedMessages() []func() *Message {
	return []func() *Message{
		func() *Message {
			reply := Queue("r")
			return &Message{Kind: KindText, Text: "hello 😀", Persistent: true, CorrelationID: "c", ReplyTo: &reply, Destination: Queue("q"),
				Expiration: 1700000000000, Timestamp: 1699999999999, Priority: 4, GroupID: "g", GroupSequence: 70000,
				Properties: map[string]any{"b": true, "i": int32(1), "l": int64(2), "s": "x", "d": 1.5}}
		},
		func() *Message {
			return &Message{Kind: KindText, Text: "compressed compressed compressed", Compressed: true, Destination: Queue("q")}
		},
		func() *Message { return &Message{Kind: KindBytes, Body: []byte{1, 2, 3}, Destination: Topic("t")} },
		func() *Message {
			return &Message{Kind: KindBytes, Body: []byte("zzzzzzzzzzzz"), Compressed: true, Destination: Topic("t")}
		},
		func() *Message {
			return &Message{Kind: KindMap, Map: map[string]any{"k": []byte{1}}, Destination: Queue("q")}
		},
	}
}

func fuzzSeeds() [][]byte { return fuzzSeedsAs(false) }

// fuzzSeedsAs are the fuzz seeds in the given encoding: each message's dispatch,
// then one stream of the other commands a broker sends.
func fuzzSeedsAs(tight bool) [][]byte {
	var seeds [][]byte
	for _, m := range fuzzSeedMessages() {
		seeds = append(seeds, dispatchFrameAs(m(), 1, tight))
	}
	var e encoder
	e.wireFormatInfo(wireFormat{version: 12, props: map[string]any{"MaxInactivityDuration": int64(30000), "CacheSize": int32(1024)}})
	e.tight = tight
	start := e.beginFrame(typeExceptionResponse)
	e.command(1, false)
	e.int32(1)
	e.throwable("java.lang.SecurityException", "nope")
	e.endFrame(start)
	e.keepAlive(3)
	start = e.beginFrame(typeResponse)
	e.command(4, false)
	e.int32(2)
	e.endFrame(start)
	start = e.beginFrame(typeConsumerControl)
	e.command(5, false)
	e.destination(&Destination{Kind: DestQueue, Name: "q"})
	e.bool1(true)
	e.consumerID(consumerID{conn: "c", session: 1, value: 2})
	e.int32(0)
	e.endFrame(start)
	seeds = append(seeds, e.b)
	return seeds
}

// FuzzDecodeFrame feeds a byte stream through the frame reader and decoder.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { decodeStream(data, false) })
}

// decodeStream reads frames from data and decodes each as every decoder would.
func decodeStream(data []byte, tight bool) {
	br := bufio.NewReader(bytes.NewReader(data))
	var buf []byte
	for {
		fr, err := readFrame(br, buf, 1<<16)
		if err != nil {
			return
		}
		buf = fr
		if f, err := decodeFrame(fr, tight, 1<<16, map[string]string{}); err == nil && f.msg != nil {
			_ = f.msg.Data()
		}
		_, _ = decodeConnectionError(fr, tight)
		_, _ = decodeConsumerControl(fr, tight)
		_, _ = decodeConnectionControl(fr, tight)
	}
}

// FuzzDecodeMessage fuzzes the message part of a MessageDispatch.
func FuzzDecodeMessage(f *testing.F) {
	for _, s := range fuzzSeeds()[:5] {
		f.Add(s[4:])
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		fr, err := decodeFrame(frame, false, 1<<16, nil)
		if err == nil && fr.msg != nil {
			_ = fr.msg.Data()
			_, _ = encodeProperties(fr.msg.Properties)
		}
	})
}

// TestWriteFuzzSeeds regenerates testdata/fuzz from fuzzSeeds when
// OPENWIRE_WRITE_FUZZ_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("OPENWIRE_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set OPENWIRE_WRITE_FUZZ_SEEDS=1 to rewrite testdata/fuzz")
	}
	write := func(target string, i int, b []byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range fuzzSeeds() {
		write("FuzzDecodeFrame", i, s)
		if i < 5 {
			write("FuzzDecodeMessage", i, s[4:])
			write("FuzzOversizedDispatch", i, s)
		}
	}
	for i, s := range fuzzSeedsAs(true) {
		write("FuzzDecodeTightFrame", i, s)
	}
	b, _ := encodeProperties(map[string]any{"a": "b😀", "n": int32(1), "l": []any{int8(1)}, "m": map[string]any{"x": 1.5}, "z": nil})
	write("FuzzPrimitiveMap", 0, b)
	odd := withDataStructure(dispatchFrame(&Message{Kind: KindText, Text: "a", Destination: Queue("q")}, 1), []byte{1, typeConsumerInfo, 0, 0})
	write("FuzzDecodeMessage", 5, odd[4:])
	write("FuzzDecodeFrame", len(fuzzSeeds()), odd)
	for i, s := range inflateSeeds() {
		write("FuzzInflateBytesBody", i, s)
	}
}
