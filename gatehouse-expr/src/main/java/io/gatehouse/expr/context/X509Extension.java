package io.gatehouse.expr.context;

/** .NET {@code X509Extension}: Oid, Critical and the raw DER value. */
public record X509Extension(Oid oid, boolean critical, byte[] rawData) {
    public X509Extension {
        rawData = rawData == null ? new byte[0] : rawData.clone();
    }

    @Override
    public byte[] rawData() {
        return rawData.clone();
    }

    @Override
    public String toString() {
        return "X509Extension[" + oid.value() + (critical ? ", critical" : "") + "]";
    }
}
