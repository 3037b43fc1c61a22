"""`course certs DIR`: the grading cluster's mutual-TLS certificates, and the Dask `Security` using them.

Dask's tcp:// lets anyone who reaches a port run code on the workers, and the workers hold the
hidden tests. With tls:// and these files every member (scheduler, workers, the coordinator)
proves it holds a certificate signed by the course's own CA, and the others refuse anyone who
does not. One certificate serves every member: they are all the instructor's machines.

    DIR/ca.pem        the CA's certificate: every member
    DIR/ca-key.pem    the CA's key: only the instructor's machine (to make more certificates)
    DIR/node.pem      the members' certificate, and DIR/node-key.pem its key: every member
"""
from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

CA, CA_KEY, NODE, NODE_KEY = "ca.pem", "ca-key.pem", "node.pem", "node-key.pem"


def make(folder: Path, hosts: list[str] = (), days: int = 365) -> list[Path]:
    """A new CA and a member certificate valid for `hosts` (names or addresses) and loopback."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "course autograde CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    node_key = ec.generate_private_key(ec.SECP256R1())
    node = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "course autograde member")]))
            .issuer_name(ca_name).public_key(node_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            # a member both serves (scheduler, worker) and connects (worker, coordinator)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))

    def key_bytes(key) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    written = []
    for name, data, private in ((CA, ca.public_bytes(serialization.Encoding.PEM), False),
                                (CA_KEY, key_bytes(ca_key), True),
                                (NODE, node.public_bytes(serialization.Encoding.PEM), False),
                                (NODE_KEY, key_bytes(node_key), True)):
        path = folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        written.append(path)
    return written


def security(folder: Path):
    """Dask's Security for a member holding DIR's certificate: TLS required, both ways."""
    from distributed.security import Security

    missing = [name for name in (CA, NODE, NODE_KEY) if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {', '.join(missing)}: make them with `course certs {folder}`")
    return Security(tls_ca_file=str(folder / CA), tls_client_cert=str(folder / NODE),
                    tls_client_key=str(folder / NODE_KEY), tls_scheduler_cert=str(folder / NODE),
                    tls_scheduler_key=str(folder / NODE_KEY), tls_worker_cert=str(folder / NODE),
                    tls_worker_key=str(folder / NODE_KEY), require_encryption=True)
