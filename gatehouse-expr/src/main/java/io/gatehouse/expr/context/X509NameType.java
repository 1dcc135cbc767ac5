package io.gatehouse.expr.context;

/** .NET {@code X509NameType} for {@code GetNameInfo}. */
public enum X509NameType { SimpleName, EmailName, UpnName, DnsName, DnsFromAlternativeName, UrlName }
