package io.gatehouse.expr.context;

/** .NET {@code X500DistinguishedName}: {@code Name} in .NET's format and the raw DER. */
public record X500DistinguishedName(String name, byte[] rawData) {
    @Override
    public byte[] rawData() {
        return rawData.clone();
    }

    @Override
    public String toString() {
        return name;
    }
}
