package io.gatehouse.policy;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.policy.xml.SourceValue;
import io.gatehouse.policy.xml.XmlAttribute;
import io.gatehouse.policy.xml.XmlElement;
import io.gatehouse.policy.xml.XmlNode;
import io.gatehouse.policy.xml.XmlText;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Warns about policy mistakes that load fine but let the wrong clients in (or the right ones out):
 * <ul>
 *   <li>a thumbprint literal compared with {@code .Thumbprint} that is not 40 upper-case hex
 *       digits, or carries invisible characters copied from a portal: .NET compares ordinally, so
 *       it never matches (the guide's "403 when the certificate looks correct");</li>
 *   <li>a literal compared with {@code .Issuer} / {@code .Subject} that is not in .NET's form
 *       ({@code "CN=x, O=y, C=US"}: most specific first, comma and space): RFC 2253's
 *       {@code "CN=x,O=y"}, the reversed {@code "C=US, O=y, CN=x"} and OpenSSL's
 *       {@code "/C=US/CN=x"} and {@code "C = US, O = y, CN = x"} never match;</li>
 *   <li>certificate details written into a response header, which helps an attacker fingerprint
 *       the validation.</li>
 * </ul>
 */
public final class PolicyLinter {
    /**
     * A string literal (or a verbatim {@code @"..."}) of the expression after {@link #skeleton}
     * replaced it with its index: the patterns below never scan a literal's characters, so a long
     * literal costs one step, not one regex frame (a 3,000-character literal overflowed the stack)
     * or a pass per quote (a quadratic search over a literal full of escaped quotes).
     */
    private static final String LIT = "@?\"(\\d++)\"";
    private static final String MEMBER = "[\\w.()\\[\\]?!]*?\\.(Thumbprint|Issuer|Subject|IssuerName\\.Name|SubjectName\\.Name)\\b";
    private static final Pattern MEMBER_THEN_LIT = Pattern.compile("\\.(Thumbprint|Issuer|Subject|IssuerName\\.Name|SubjectName\\.Name)\\b\\s*+(?:==|!=|\\.Equals\\(\\s*+)\\s*+" + LIT);
    private static final Pattern LIT_THEN_MEMBER = Pattern.compile(LIT + "\\s*+(?:==|!=|\\.Equals\\(\\s*+)\\s*+" + MEMBER);
    private static final Pattern STATIC_EQUALS = Pattern.compile("[Ss]tring\\.Equals\\(\\s*+" + MEMBER + "\\s*+,\\s*+" + LIT);
    private static final Pattern READS_CERTIFICATE = Pattern.compile("context\\.Request\\.Certificate\\b");

    private PolicyLinter() {
    }

    /** Adds warnings for the document (a {@code <policies>} or {@code <fragment>} root) to {@code d}. */
    public static void lint(XmlElement root, Diagnostics d) {
        walk(root, null, false, d);
    }

    private static void walk(XmlElement e, Section section, boolean inResponse, Diagnostics d) {
        Section s = section;
        if (s == null && Section.byElement(e.name()) != null) {
            s = Section.byElement(e.name());
        }
        boolean response = inResponse || e.name().equals("return-response");
        for (XmlAttribute a : e.attributes()) {
            lintExpression(a.value(), d);
        }
        if (e.name().equals("set-header") && (response || s == Section.OUTBOUND || s == Section.ON_ERROR)) {
            for (XmlElement v : e.elements()) {
                SourceValue text = v.textValue();
                if (text != null && READS_CERTIFICATE.matcher(text.text()).find()) {
                    d.add(text.strip().start().warning("this response header carries client certificate details"
                            + " (context.Request.Certificate): they help an attacker fingerprint the validation; remove it before production"));
                }
            }
        }
        for (XmlNode n : e.children()) {
            if (n instanceof XmlElement c) {
                walk(c, s, response, d);
            } else if (n instanceof XmlText t) {
                lintExpression(t.value(), d);
            }
        }
    }

    private static void lintExpression(SourceValue v, Diagnostics d) {
        String text = v.text();
        if (text.indexOf('@') < 0 || text.indexOf('"') < 0) {
            return;
        }
        List<int[]> literals = new ArrayList<>();
        String skeleton = skeleton(text, literals);
        for (Pattern p : List.of(MEMBER_THEN_LIT, LIT_THEN_MEMBER, STATIC_EQUALS)) {
            Matcher m = p.matcher(skeleton);
            while (m.find()) {
                String member;
                int litGroup;
                if (p == LIT_THEN_MEMBER) {
                    member = m.group(2);
                    litGroup = 1;
                } else {
                    member = m.group(1);
                    litGroup = 2;
                }
                int[] span = literals.get(Integer.parseInt(m.group(litGroup)));
                String literal = text.substring(span[0] + 1, span[1]);
                if (literal.contains("{{")) {
                    continue;
                }
                String problem = member.equals("Thumbprint") ? thumbprintProblem(literal) : nameProblem(literal, member);
                if (problem != null) {
                    d.add(v.positionAt(span[0]).warning(problem));
                }
            }
        }
    }

    /**
     * The expression with each string literal replaced by {@code "k"}, k its index in
     * {@code literals} (which gets the offsets of its opening and closing quotes), and each
     * character literal by {@code 'c'}; one pass, no recursion. A literal that is not closed runs
     * to the end of the text and is left out.
     */
    static String skeleton(String text, List<int[]> literals) {
        StringBuilder sb = new StringBuilder(Math.min(text.length(), 4096));
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (c == '\'') {
                int close = i + 1 < n && text.charAt(i + 1) == '\\' ? text.indexOf('\'', i + 3) : i + 2;
                if (close > i && close < n && close - i <= 10 && text.charAt(close) == '\'') {
                    sb.append("'c'");
                    i = close + 1;
                    continue;
                }
                sb.append(c);
                i++;
            } else if (c == '"') {
                boolean verbatim = i > 0 && (text.charAt(i - 1) == '@' || (i > 1 && text.charAt(i - 1) == '$' && text.charAt(i - 2) == '@'));
                int j = i + 1;
                while (j < n) {
                    char x = text.charAt(j);
                    if (x == '"') {
                        if (verbatim && j + 1 < n && text.charAt(j + 1) == '"') {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j += x == '\\' && !verbatim ? 2 : 1;
                }
                if (j >= n) {
                    break;
                }
                sb.append('"').append(literals.size()).append('"');
                literals.add(new int[] {i, j});
                i = j + 1;
            } else {
                sb.append(c);
                i++;
            }
        }
        return sb.toString();
    }

    static String thumbprintProblem(String literal) {
        for (char c : literal.toCharArray()) {
            if ((c >= '\u200B' && c <= '\u200F') || c == '\uFEFF' || c == '\u00A0' || c == '\u2060' || Character.getType(c) == Character.FORMAT) {
                return "the thumbprint \"" + clip(visible(literal)) + "\" contains invisible characters (copied from a portal?):"
                        + " .Thumbprint never equals it; retype it as 40 upper-case hex digits";
            }
        }
        if (literal.matches("[0-9A-F]{40}")) {
            return null;
        }
        if (literal.matches("[0-9A-Fa-f]{40}")) {
            return "the thumbprint \"" + literal + "\" has lower-case letters: .Thumbprint is upper-case hex, so == never matches;"
                    + " write \"" + literal.toUpperCase(java.util.Locale.ROOT) + "\"";
        }
        String hexOnly = literal.replaceAll("[\\s:]", "");
        if (hexOnly.matches("[0-9A-Fa-f]{40}")) {
            return "the thumbprint \"" + literal + "\" has spaces or colons: .Thumbprint is 40 hex digits with no separators;"
                    + " write \"" + hexOnly.toUpperCase(java.util.Locale.ROOT) + "\"";
        }
        return "\"" + clip(literal) + "\" is not a certificate thumbprint (expected: 40 upper-case hex digits, the SHA-1 APIM shows)";
    }

    /** An attribute written with spaces around '=', as OpenSSL's one-line name format does ("CN = x"). */
    private static final Pattern OPENSSL_ONELINE = Pattern.compile("(?:^|,\\s*)[A-Za-z][\\w.]*\\s+=\\s");

    static String nameProblem(String literal, String member) {
        String trimmed = literal.strip();
        if (trimmed.startsWith("/")) {
            return "\"" + clip(literal) + "\" is in OpenSSL's /C=../CN=.. form: ." + member + " reads like \"CN=x, O=y, C=US\", so this never matches";
        }
        if (!trimmed.contains("=")) {
            return null;
        }
        String withoutLabel = trimmed.replaceFirst("(?i)^(issuer|subject)\\s*=\\s*", "");
        if (OPENSSL_ONELINE.matcher(withoutLabel).find()) {
            // openssl x509 -noout -issuer prints "issuer=C = US, O = Contoso, CN = Contoso CA"
            List<String> rdns = new ArrayList<>(List.of(withoutLabel.split("\\s*,\\s*")));
            java.util.Collections.reverse(rdns);
            String dotNet = String.join(", ", rdns.stream().map(r -> r.replaceFirst("\\s*=\\s*", "=")).toList());
            return "\"" + clip(literal) + "\" is in OpenSSL's 'C = US, O = .., CN = ..' form (as openssl x509 -issuer"
                    + " prints it): ." + member + " has no spaces around '=' and the most specific attribute first, so this"
                    + " never matches; write \"" + clip(dotNet) + "\"";
        }
        if (Pattern.compile(",(?! )").matcher(trimmed).find() && !trimmed.contains("\"")) {
            return "\"" + clip(literal) + "\" separates attributes with ',' only (RFC 2253 form): ." + member
                    + " reads \"" + clip(trimmed.replaceAll(",\\s*", ", ")) + "\" in .NET, so this never matches";
        }
        String[] parts = trimmed.split(",\\s*");
        if (parts.length > 1 && parts[parts.length - 1].toUpperCase(java.util.Locale.ROOT).startsWith("CN=")
                && !parts[0].toUpperCase(java.util.Locale.ROOT).startsWith("CN=")) {
            return "\"" + clip(literal) + "\" lists the name from the top down: ." + member
                    + " reads the most specific attribute (CN) first, so this probably never matches";
        }
        return null;
    }

    /** A literal quoted in a warning: at most 200 characters of it, so a hostile one does not make a huge message. */
    private static String clip(String s) {
        return s.length() <= 200 ? s : s.substring(0, 197) + "...";
    }

    private static String visible(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 0x20 || (c >= '\u007F' && c <= '\u00A0') || Character.getType(c) == Character.FORMAT) {
                sb.append(String.format("\\u%04X", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
