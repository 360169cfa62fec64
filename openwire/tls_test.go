package openwire

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/internal/brokertest"
)

// TestTLS runs a broker with an ssl:// connector whose certificate comes from
// a fresh keystore, and connects with that certificate as custom CA.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ks := filepath.Join(dir, "broker.ks")
	pem := filepath.Join(dir, "broker.pem")
	for _, args := range [][]string{
		{"-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
			"-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-keystore", ks, "-storepass", "password",
			"-keypass", "password", "-storetype", "JKS"},
		{"-exportcert", "-rfc", "-alias", "broker", "-keystore", ks, "-storepass", "password", "-file", pem},
	} {
		if out, err := exec.Command("keytool", args...).CombinedOutput(); err != nil {
			t.Fatalf("keytool %s: %v\n%s", args[0], err, out)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	b := brokertest.Start(t, brokertest.Options{SSLPort: port, Keystore: ks})
	url := "ssl://" + net.JoinHostPort("127.0.0.1", itoa(port))
	ctx := testCtx(t, 30*time.Second)

	// system roots do not know this certificate
	if _, err := Dial(ctx, url, Config{User: b.User, Password: b.Password}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("dial with system roots: %v", err)
	}
	caPEM, err := os.ReadFile(pem)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("bad PEM from keytool")
	}
	c, err := Dial(ctx, url, Config{User: b.User, Password: b.Password, TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q := newQueue(t)
	sendTexts(t, c, Queue(q), "over tls")
	k, err := mustSession(t, c, false).NewConsumer(ctx, q, ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := k.Receive(ctx)
	if err != nil || m.Text != "over tls" {
		t.Fatalf("%v %v", m, err)
	}
	if err := k.Ack(ctx, m); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
