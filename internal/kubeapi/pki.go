package kubeapi

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki is the key material of one API server, generated with crypto/x509
// (no openssl): a CA, the serving certificate it signs, an admin client
// certificate in system:masters, and the service-account signing key.
type pki struct {
	dir string
	// Files handed to kube-apiserver and to clients.
	caFile, servingCert, servingKey, adminCert, adminKey, saKey, saPub string
	// The service-account signing key, for tokens the tests forge (expired ones).
	saSigner *rsa.PrivateKey
}

// certLifetime covers any test run; the certificates are thrown away with
// the directory.
const certLifetime = 24 * time.Hour

// servingNames are the names the serving certificate answers to: loopback,
// and the in-cluster names a pod would use.
var servingNames = []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}

func newPKI(dir string) (*pki, error) {
	p := &pki{
		dir:         dir,
		caFile:      filepath.Join(dir, "ca.crt"),
		servingCert: filepath.Join(dir, "apiserver.crt"),
		servingKey:  filepath.Join(dir, "apiserver.key"),
		adminCert:   filepath.Join(dir, "admin.crt"),
		adminKey:    filepath.Join(dir, "admin.key"),
		saKey:       filepath.Join(dir, "sa.key"),
		saPub:       filepath.Join(dir, "sa.pub"),
	}
	ca, err := newCA(p.caFile, time.Now())
	if err != nil {
		return nil, err
	}
	if err := ca.leaf(2, pkix.Name{CommonName: "kube-apiserver"}, x509.ExtKeyUsageServerAuth, p.servingCert, p.servingKey); err != nil {
		return nil, err
	}
	// The API server maps a client certificate's O to groups: system:masters
	// passes every authorization check (RBAC is not consulted).
	if err := ca.leaf(3, pkix.Name{CommonName: "meshauth-test-admin", Organization: []string{"system:masters"}}, x509.ExtKeyUsageClientAuth, p.adminCert, p.adminKey); err != nil {
		return nil, err
	}
	if p.saSigner, err = writeSAKey(p.saKey, p.saPub); err != nil {
		return nil, err
	}
	return p, nil
}

// testCA signs the serving and client certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	now  time.Time
}

// newCA makes the CA and writes its certificate to file.
func newCA(file string, now time.Time) (*testCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "meshauth-test-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(certLifetime),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	if err := writePEM(file, "CERTIFICATE", der); err != nil {
		return nil, err
	}
	return &testCA{cert: cert, key: key, now: now}, nil
}

// leaf writes a certificate the CA signs, and its key; a server
// certificate answers to servingNames and 127.0.0.1.
func (c *testCA) leaf(serial int64, subject pkix.Name, usage x509.ExtKeyUsage, certFile, keyFile string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: subject,
		NotBefore: c.now.Add(-time.Hour), NotAfter: c.now.Add(certLifetime),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	if usage == x509.ExtKeyUsageServerAuth {
		tmpl.DNSNames = servingNames
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		return err
	}
	if err := writePEM(certFile, "CERTIFICATE", der); err != nil {
		return err
	}
	return writeKey(keyFile, key)
}

// writeSAKey makes the service-account signing key and writes it and its
// public half. RSA, as the service-account issuer of most clusters: tokens
// are RS256.
func writeSAKey(keyFile, pubFile string) (*rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	if err := writeKey(keyFile, key); err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	if err := writePEM(pubFile, "PUBLIC KEY", pub); err != nil {
		return nil, err
	}
	return key, nil
}

func writeKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der)
}

func writePEM(path, typ string, der []byte) error {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
