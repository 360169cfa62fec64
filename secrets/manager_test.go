package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/mqtrigger/mqtrigger/store"
)

const (
	region  = "us-east-1"
	account = "123456789012"
	// marker is in every test value, so a test can look for leaks of values.
	marker = "s3cr3t-MARKER-9f2c"
)

var arnRE = regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:123456789012:secret:(.+)-[A-Za-z0-9]{6}$`)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

// newManager returns a Manager on a fresh SQLite store in dir (a new temp dir if "").
func newManager(t *testing.T, dir string) (*Manager, store.Store) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	st, err := store.Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := New(st, testKey(1), region, account)
	if err != nil {
		t.Fatal(err)
	}
	return m, st
}

// wantCode fails unless err is an *Error with code, and checks that it carries no
// secret value.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if !IsCode(err, code) {
		t.Fatalf("got error %v, want %s", err, code)
	}
	noValue(t, err)
}

func noValue(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), marker) {
		t.Fatalf("error carries a secret value: %v", err)
	}
}

func TestNew(t *testing.T) {
	_, st := newManager(t, "")
	if _, err := New(st, testKey(1)[:16], region, account); err == nil {
		t.Fatal("16-byte key accepted")
	}
	if _, err := New(st, testKey(1), "", account); err == nil {
		t.Fatal("empty region accepted")
	}
	if _, err := New(nil, testKey(1), region, account); err == nil {
		t.Fatal("nil store accepted")
	}
}

func TestCreateAndGet(t *testing.T) {
	m, _ := newManager(t, "")
	ctx := context.Background()
	val := `{"username":"app","password":"` + marker + `"}`
	out, err := m.Create(ctx, CreateInput{Name: "mq/app", Description: "broker", SecretString: val,
		Tags: []Tag{{Key: "team", Value: "orders"}}})
	if err != nil {
		t.Fatal(err)
	}
	if sm := arnRE.FindStringSubmatch(out.ARN); sm == nil || sm[1] != "mq/app" || out.Name != "mq/app" {
		t.Fatalf("ARN %q", out.ARN)
	}
	if _, err := uuid.Parse(out.VersionID); err != nil {
		t.Fatalf("VersionId %q is not a UUID", out.VersionID)
	}
	partial := strings.TrimSuffix(out.ARN, out.ARN[len(out.ARN)-7:])
	for _, id := range []string{"mq/app", out.ARN, partial} {
		v, err := m.GetValue(ctx, id, "", "")
		if err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		if v.SecretString != val || v.SecretBinary != nil || v.ARN != out.ARN || v.Name != "mq/app" ||
			v.VersionID != out.VersionID || fmt.Sprint(v.VersionStages) != "[AWSCURRENT]" ||
			time.Since(v.CreatedDate) > time.Minute {
			t.Fatalf("get %s: %+v", id, v)
		}
	}
	for _, id := range []string{
		"mq/app" + out.ARN[len(out.ARN)-7:],                         // a name with the suffix appended
		strings.Replace(partial, region, "eu-west-1", 1),            // another region
		strings.Replace(out.ARN, account, "999999999999", 1),        // another account
		partial[:len(partial)-1],                                    // a prefix of the name
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:nope", // unknown
		"nope",
	} {
		_, err := m.GetValue(ctx, id, "", "")
		wantCode(t, err, CodeResourceNotFound)
	}
	_, err = m.GetValue(ctx, "", "", "")
	wantCode(t, err, CodeValidation)

	// Stages and versions that do not exist.
	_, err = m.GetValue(ctx, "mq/app", "", StagePrevious)
	wantCode(t, err, CodeResourceNotFound)
	if !strings.Contains(err.Error(), "staging label: AWSPREVIOUS") {
		t.Fatalf("message %q", err)
	}
	_, err = m.GetValue(ctx, "mq/app", uuid.NewString(), "")
	wantCode(t, err, CodeResourceNotFound)
	if v, err := m.GetValue(ctx, "mq/app", out.VersionID, StageCurrent); err != nil || v.SecretString != val {
		t.Fatalf("by VersionId and stage: %v", err)
	}
	_, err = m.GetValue(ctx, "mq/app", out.VersionID, StagePrevious)
	wantCode(t, err, CodeInvalidRequest)

	// Binary values.
	bin := []byte{0, 1, 2, 0xff}
	if _, err := m.Create(ctx, CreateInput{Name: "bin", SecretBinary: bin}); err != nil {
		t.Fatal(err)
	}
	if v, err := m.GetValue(ctx, "bin", "", ""); err != nil || !bytes.Equal(v.SecretBinary, bin) || v.SecretString != "" {
		t.Fatalf("binary: %+v, %v", v, err)
	}

	// A secret without a value.
	empty, err := m.Create(ctx, CreateInput{Name: "empty"})
	if err != nil || empty.VersionID != "" {
		t.Fatalf("create without value: %+v, %v", empty, err)
	}
	_, err = m.GetValue(ctx, "empty", "", "")
	wantCode(t, err, CodeResourceNotFound)
	if !strings.Contains(err.Error(), "staging label: AWSCURRENT") {
		t.Fatalf("message %q", err)
	}

	// Errors of Create.
	_, err = m.Create(ctx, CreateInput{Name: "mq/app", SecretString: marker})
	wantCode(t, err, CodeResourceExists)
	if !strings.Contains(err.Error(), "The operation failed because the secret mq/app already exists.") {
		t.Fatalf("message %q", err)
	}
	for _, name := range []string{"", "bad name", "bad:name", "é", strings.Repeat("a", 513)} {
		_, err = m.Create(ctx, CreateInput{Name: name, SecretString: marker})
		wantCode(t, err, CodeValidation)
	}
	_, err = m.Create(ctx, CreateInput{Name: "both", SecretString: marker, SecretBinary: []byte(marker)})
	wantCode(t, err, CodeInvalidParameter)
	_, err = m.Create(ctx, CreateInput{Name: "big", SecretString: strings.Repeat(marker, 65536/len(marker)+1)})
	wantCode(t, err, CodeValidation)
	_, err = m.Create(ctx, CreateInput{Name: "tok", SecretString: marker, ClientRequestToken: "short"})
	wantCode(t, err, CodeValidation)
	_, err = m.Create(ctx, CreateInput{Name: "tag", SecretString: marker, Tags: []Tag{{Key: ""}}})
	wantCode(t, err, CodeValidation)

	// A retried Create (same token, same value) succeeds; another value does not.
	tok := uuid.NewString()
	first, err := m.Create(ctx, CreateInput{Name: "retry", SecretString: marker, ClientRequestToken: tok})
	if err != nil || first.VersionID != tok {
		t.Fatalf("create with token: %+v, %v", first, err)
	}
	again, err := m.Create(ctx, CreateInput{Name: "retry", SecretString: marker, ClientRequestToken: tok})
	if err != nil || *again != *first {
		t.Fatalf("retried create: %+v, %v", again, err)
	}
	_, err = m.Create(ctx, CreateInput{Name: "retry", SecretString: marker + "x", ClientRequestToken: tok})
	wantCode(t, err, CodeResourceExists)

	d, err := m.Describe(ctx, "mq/app")
	if err != nil || d.Description != "broker" || len(d.Tags) != 1 || d.Tags[0] != (Tag{"team", "orders"}) ||
		fmt.Sprint(d.VersionsToStages) != fmt.Sprintf("map[%s:[AWSCURRENT]]", out.VersionID) || !d.DeletedDate.IsZero() {
		t.Fatalf("describe: %+v, %v", d, err)
	}
}

func TestPutValue(t *testing.T) {
	m, _ := newManager(t, "")
	ctx := context.Background()
	c, err := m.Create(ctx, CreateInput{Name: "p", SecretString: "v1" + marker})
	if err != nil {
		t.Fatal(err)
	}
	v1 := c.VersionID
	p2, err := m.PutValue(ctx, PutInput{SecretID: c.ARN, SecretString: "v2" + marker})
	if err != nil {
		t.Fatal(err)
	}
	if p2.ARN != c.ARN || p2.VersionID == v1 || fmt.Sprint(p2.VersionStages) != "[AWSCURRENT]" {
		t.Fatalf("put: %+v", p2)
	}
	get := func(versionID, stage string) string {
		t.Helper()
		v, err := m.GetValue(ctx, "p", versionID, stage)
		if err != nil {
			t.Fatalf("get %s %s: %v", versionID, stage, err)
		}
		return v.VersionID + "=" + v.SecretString + fmt.Sprint(v.VersionStages)
	}
	if got := get("", ""); got != p2.VersionID+"=v2"+marker+"[AWSCURRENT]" {
		t.Fatalf("current: %s", got)
	}
	if got := get("", StagePrevious); got != v1+"=v1"+marker+"[AWSPREVIOUS]" {
		t.Fatalf("previous: %s", got)
	}
	if got := get(v1, ""); got != v1+"=v1"+marker+"[AWSPREVIOUS]" {
		t.Fatalf("by id: %s", got)
	}

	tok := uuid.NewString()
	p3, err := m.PutValue(ctx, PutInput{SecretID: "p", ClientRequestToken: tok, SecretBinary: []byte("v3"),
		VersionStages: []string{StageCurrent}})
	if err != nil || p3.VersionID != tok {
		t.Fatalf("put with token: %+v, %v", p3, err)
	}
	if v, err := m.GetValue(ctx, "p", "", ""); err != nil || string(v.SecretBinary) != "v3" {
		t.Fatalf("string then binary: %+v, %v", v, err)
	}
	_, err = m.GetValue(ctx, "p", v1, "")
	wantCode(t, err, CodeResourceNotFound) // v1 lost its labels and is gone
	d, _ := m.Describe(ctx, "p")
	if len(d.VersionsToStages) != 2 || d.VersionsToStages[tok][0] != StageCurrent ||
		d.VersionsToStages[p2.VersionID][0] != StagePrevious {
		t.Fatalf("stages: %v", d.VersionsToStages)
	}

	// Retries with the same token.
	again, err := m.PutValue(ctx, PutInput{SecretID: "p", ClientRequestToken: tok, SecretBinary: []byte("v3")})
	if err != nil || again.VersionID != tok {
		t.Fatalf("retried put: %+v, %v", again, err)
	}
	if get("", StagePrevious) != p2.VersionID+"=v2"+marker+"[AWSPREVIOUS]" {
		t.Fatal("a retried put rotated the versions")
	}
	_, err = m.PutValue(ctx, PutInput{SecretID: "p", ClientRequestToken: tok, SecretString: marker})
	wantCode(t, err, CodeResourceExists)

	_, err = m.PutValue(ctx, PutInput{SecretID: "p"})
	wantCode(t, err, CodeInvalidParameter)
	_, err = m.PutValue(ctx, PutInput{SecretID: "p", SecretString: marker, VersionStages: []string{"AWSPENDING"}})
	wantCode(t, err, CodeInvalidParameter)
	_, err = m.PutValue(ctx, PutInput{SecretID: "nope", SecretString: marker})
	wantCode(t, err, CodeResourceNotFound)

	// The first value of a secret created without one.
	if _, err := m.Create(ctx, CreateInput{Name: "later"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.PutValue(ctx, PutInput{SecretID: "later", SecretString: "x"}); err != nil {
		t.Fatal(err)
	}
	if d, _ := m.Describe(ctx, "later"); len(d.VersionsToStages) != 1 {
		t.Fatalf("stages: %v", d.VersionsToStages)
	}
}

func TestDelete(t *testing.T) {
	m, st := newManager(t, "")
	ctx := context.Background()
	c, err := m.Create(ctx, CreateInput{Name: "d", SecretString: marker})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []DeleteInput{
		{SecretID: "d", RecoveryWindowInDays: 6},
		{SecretID: "d", RecoveryWindowInDays: 31},
		{SecretID: "d", RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true},
	} {
		_, err := m.Delete(ctx, in)
		wantCode(t, err, CodeInvalidParameter)
	}
	_, err = m.Delete(ctx, DeleteInput{SecretID: "nope"})
	wantCode(t, err, CodeResourceNotFound)

	out, err := m.Delete(ctx, DeleteInput{SecretID: c.ARN})
	if err != nil {
		t.Fatal(err)
	}
	if out.ARN != c.ARN || out.Name != "d" || out.DeletionDate.Sub(time.Now()) < 29*24*time.Hour {
		t.Fatalf("delete: %+v", out)
	}
	// Scheduled: not usable, still described, hidden from List by default.
	_, err = m.GetValue(ctx, "d", "", "")
	wantCode(t, err, CodeInvalidRequest)
	if !strings.Contains(err.Error(), "marked for deletion") {
		t.Fatalf("message %q", err)
	}
	_, err = m.PutValue(ctx, PutInput{SecretID: "d", SecretString: "x"})
	wantCode(t, err, CodeInvalidRequest)
	_, _, err = m.BasicAuth(ctx, c.ARN)
	wantCode(t, err, CodeInvalidRequest)
	_, err = m.Create(ctx, CreateInput{Name: "d", SecretString: "x"})
	wantCode(t, err, CodeInvalidRequest)
	_, err = m.Delete(ctx, DeleteInput{SecretID: "d"})
	wantCode(t, err, CodeInvalidRequest)
	if d, err := m.Describe(ctx, "d"); err != nil || d.DeletedDate.IsZero() {
		t.Fatalf("describe scheduled: %+v, %v", d, err)
	}
	if l, _ := m.List(ctx, ListInput{}); len(l.Secrets) != 0 {
		t.Fatalf("list shows a scheduled secret: %+v", l)
	}
	if l, _ := m.List(ctx, ListInput{IncludePlannedDeletion: true}); len(l.Secrets) != 1 || l.Secrets[0].DeletedDate.IsZero() {
		t.Fatalf("list with planned deletion: %+v", l)
	}

	// Restore, then schedule with a short window and let it pass.
	if arn, _, err := m.Restore(ctx, "d"); err != nil || arn != c.ARN {
		t.Fatalf("restore: %v", err)
	}
	if _, err := m.GetValue(ctx, "d", "", ""); err != nil {
		t.Fatalf("get after restore: %v", err)
	}
	out, err = m.Delete(ctx, DeleteInput{SecretID: "d", RecoveryWindowInDays: 7})
	if err != nil || out.DeletionDate.Sub(time.Now()) > 8*24*time.Hour {
		t.Fatalf("delete with 7 days: %+v, %v", out, err)
	}
	m.now = func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }
	_, err = m.Describe(ctx, "d")
	wantCode(t, err, CodeResourceNotFound)
	if _, err := st.GetSecret(ctx, c.ARN); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an expired secret is still stored: %v", err)
	}
	m.now = time.Now

	// Forced deletion: gone at once, name free, a new ARN.
	c2, err := m.Create(ctx, CreateInput{Name: "d", SecretString: marker})
	if err != nil {
		t.Fatal(err)
	}
	if c2.ARN == c.ARN {
		t.Fatal("a re-created secret got the same ARN")
	}
	if _, err := m.Delete(ctx, DeleteInput{SecretID: "d"}); err != nil {
		t.Fatal(err)
	}
	out, err = m.Delete(ctx, DeleteInput{SecretID: "d", ForceDeleteWithoutRecovery: true}) // already scheduled: fine
	if err != nil || out.ARN != c2.ARN {
		t.Fatalf("force delete: %+v, %v", out, err)
	}
	_, err = m.GetValue(ctx, c2.ARN, "", "")
	wantCode(t, err, CodeResourceNotFound)
	if _, err := m.Create(ctx, CreateInput{Name: "d", SecretString: marker}); err != nil {
		t.Fatalf("re-create after force delete: %v", err)
	}
	// Forcing the delete of a missing secret succeeds, as in Secrets Manager.
	if out, err := m.Delete(ctx, DeleteInput{SecretID: "never", ForceDeleteWithoutRecovery: true}); err != nil || out.Name != "never" {
		t.Fatalf("force delete missing: %+v, %v", out, err)
	}
}

func TestList(t *testing.T) {
	m, _ := newManager(t, "")
	ctx := context.Background()
	names := []string{"e", "b", "a/x", "d", "c"}
	for i, n := range names {
		if _, err := m.Create(ctx, CreateInput{Name: n, Description: "desc " + n, SecretString: marker,
			Tags: []Tag{{Key: fmt.Sprintf("k%d", i%2), Value: "v" + n}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.PutValue(ctx, PutInput{SecretID: "b", SecretString: marker + "2"}); err != nil {
		t.Fatal(err)
	}
	page := func(in ListInput) ([]string, string) {
		t.Helper()
		out, err := m.List(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(out)
		if bytes.Contains(b, []byte(marker)) {
			t.Fatal("List returned a value")
		}
		var got []string
		for _, e := range out.Secrets {
			got = append(got, e.Name)
		}
		return got, out.NextToken
	}
	var all []string
	in := ListInput{MaxResults: 2}
	for i := 0; i < 5; i++ {
		got, next := page(in)
		all = append(all, got...)
		if next == "" {
			break
		}
		in.NextToken = next
	}
	if fmt.Sprint(all) != "[a/x b c d e]" {
		t.Fatalf("paged: %v", all)
	}
	if got, next := page(ListInput{SortOrder: "desc", MaxResults: 3}); fmt.Sprint(got) != "[e d c]" || next == "" {
		t.Fatalf("desc: %v %q", got, next)
	}
	for _, tc := range []struct {
		f    []Filter
		want string
	}{
		{[]Filter{{Key: "name", Values: []string{"a/", "c"}}}, "[a/x c]"},
		{[]Filter{{Key: "description", Values: []string{"desc d"}}}, "[d]"},
		{[]Filter{{Key: "tag-key", Values: []string{"k1"}}}, "[b d]"},
		{[]Filter{{Key: "tag-value", Values: []string{"ve"}}}, "[e]"},
		{[]Filter{{Key: "all", Values: []string{"vb"}}}, "[b]"},
		{[]Filter{{Key: "name", Values: []string{"!a"}}}, "[b c d e]"},
		{[]Filter{{Key: "tag-key", Values: []string{"k0"}}, {Key: "name", Values: []string{"e", "d"}}}, "[e]"},
	} {
		if got, _ := page(ListInput{Filters: tc.f}); fmt.Sprint(got) != tc.want {
			t.Errorf("filter %+v: got %v, want %s", tc.f, got, tc.want)
		}
	}
	out, _ := m.List(ctx, ListInput{Filters: []Filter{{Key: "name", Values: []string{"b"}}}})
	if len(out.Secrets[0].VersionsToStages) != 2 {
		t.Fatalf("stages in list: %v", out.Secrets[0].VersionsToStages)
	}
	_, err := m.List(ctx, ListInput{NextToken: "garbage"})
	wantCode(t, err, CodeInvalidNextToken)
	_, err = m.List(ctx, ListInput{MaxResults: 101})
	wantCode(t, err, CodeInvalidParameter)
	_, err = m.List(ctx, ListInput{Filters: []Filter{{Key: "color"}}})
	wantCode(t, err, CodeInvalidParameter)
}

func TestBasicAuth(t *testing.T) {
	m, _ := newManager(t, "")
	ctx := context.Background()
	good, err := m.Create(ctx, CreateInput{Name: "good", SecretString: `{"username":"app","password":"` + marker + `","extra":1}`})
	if err != nil {
		t.Fatal(err)
	}
	u, p, err := m.BasicAuth(ctx, good.ARN)
	if err != nil || u != "app" || p != marker {
		t.Fatalf("BasicAuth: %q %q %v", u, p, err)
	}
	_, _, err = m.BasicAuth(ctx, "arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-abcdef")
	wantCode(t, err, CodeResourceNotFound)
	if !strings.Contains(err.Error(), "gone-abcdef") {
		t.Fatalf("error does not name the secret: %v", err)
	}
	for name, value := range map[string]string{
		"notjson":  marker + `{`,
		"array":    `["` + marker + `"]`,
		"nouser":   `{"password":"` + marker + `"}`,
		"nopass":   `{"username":"` + marker + `"}`,
		"numuser":  `{"username":5,"password":"` + marker + `"}`,
		"emptypwd": `{"username":"u","password":""}`,
		"null":     `null`,
	} {
		c, err := m.Create(ctx, CreateInput{Name: name, SecretString: value})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = m.BasicAuth(ctx, c.ARN)
		if !errors.Is(err, ErrBasicAuthValue) || !strings.Contains(err.Error(), c.ARN) {
			t.Fatalf("%s: got %v, want ErrBasicAuthValue naming the secret", name, err)
		}
		noValue(t, err)
		t.Logf("%s: %v", name, err)
	}
	c, _ := m.Create(ctx, CreateInput{Name: "binary", SecretBinary: []byte(marker)})
	if _, _, err := m.BasicAuth(ctx, c.ARN); !errors.Is(err, ErrBasicAuthValue) {
		t.Fatalf("binary: %v", err)
	}
	c, _ = m.Create(ctx, CreateInput{Name: "novalue"})
	_, _, err = m.BasicAuth(ctx, c.ARN)
	wantCode(t, err, CodeResourceNotFound)
}

// The store, and the SQLite files, hold only ciphertext.
func TestEncryptedAtRest(t *testing.T) {
	dir := t.TempDir()
	m, st := newManager(t, dir)
	ctx := context.Background()
	c, err := m.Create(ctx, CreateInput{Name: "plain-check", SecretString: "first-" + marker})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.PutValue(ctx, PutInput{SecretID: "plain-check", SecretBinary: []byte("second-" + marker)}); err != nil {
		t.Fatal(err)
	}
	sec, err := st.GetSecret(ctx, c.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sec.Value, []byte(marker)) || bytes.Contains(sec.PreviousValue, []byte(marker)) {
		t.Fatal("the store holds a plain value")
	}
	files, _ := filepath.Glob(filepath.Join(dir, store.SQLiteFile+"*"))
	var db []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		db = append(db, b...)
	}
	if !bytes.Contains(db, []byte("plain-check")) {
		t.Fatalf("the secret's name is not in %v: the test reads the wrong files", files)
	}
	if bytes.Contains(db, []byte(marker)) {
		t.Fatalf("a plain value is in the SQLite files %v", files)
	}
}

func TestTamperingAndWrongKey(t *testing.T) {
	m, st := newManager(t, "")
	ctx := context.Background()
	a, _ := m.Create(ctx, CreateInput{Name: "a", SecretString: "a1" + marker})
	m.PutValue(ctx, PutInput{SecretID: "a", SecretString: "a2" + marker})
	b, _ := m.Create(ctx, CreateInput{Name: "b", SecretString: "b1" + marker})

	edit := func(arn string, fn func(s *store.Secret)) {
		t.Helper()
		s, err := st.GetSecret(ctx, arn)
		if err != nil {
			t.Fatal(err)
		}
		fn(s)
		if err := st.UpdateSecret(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	// Another key cannot read it.
	other, err := New(st, testKey(2), region, account)
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.GetValue(ctx, "a", "", "")
	wantCode(t, err, CodeDecryptionFailure)

	// A value copied to another secret, or to another version, does not decrypt.
	sa, _ := st.GetSecret(ctx, a.ARN)
	edit(b.ARN, func(s *store.Secret) { s.Value = sa.Value })
	_, err = m.GetValue(ctx, "b", "", "")
	wantCode(t, err, CodeDecryptionFailure)
	edit(a.ARN, func(s *store.Secret) { s.Value, s.PreviousValue = s.PreviousValue, s.Value })
	_, err = m.GetValue(ctx, "a", "", "")
	wantCode(t, err, CodeDecryptionFailure)

	// A flipped bit, a truncated value, an empty one.
	for i, mangle := range []func([]byte) []byte{
		func(v []byte) []byte { v[len(v)-1] ^= 1; return v },
		func(v []byte) []byte { v[20] ^= 0x80; return v },
		func(v []byte) []byte { return v[:10] },
		func(v []byte) []byte { return []byte{1} },
	} {
		c, err := m.Create(ctx, CreateInput{Name: fmt.Sprintf("t%d", i), SecretString: marker})
		if err != nil {
			t.Fatal(err)
		}
		edit(c.ARN, func(s *store.Secret) { s.Value = mangle(s.Value) })
		_, err = m.GetValue(ctx, c.ARN, "", "")
		wantCode(t, err, CodeDecryptionFailure)
	}
}
