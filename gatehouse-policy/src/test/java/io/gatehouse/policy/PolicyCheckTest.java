package io.gatehouse.policy;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.common.Diagnostics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PolicyCheckTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void unknownNamedValuesAndReferencesAreWarningsWhenCheckingAlone() throws IOException {
        Path p = write("api.xml", """
                <policies><inbound><base />
                  <set-header name="x-tenant" exists-action="override"><value>{{tenant-id}}</value></set-header>
                  <authentication-certificate certificate-id="backend-client-cert" />
                  <include-fragment fragment-id="somewhere-else" />
                </inbound></policies>""");
        Diagnostics d = PolicyCheck.check(List.of(p));
        assertThat(d.hasErrors()).as(d.render()).isFalse();
        assertThat(d.all()).extracting(Diagnostic::message).containsExactly(
                "unknown named value 'tenant-id'",
                "unknown certificate 'backend-client-cert' (expected the id of a certificate with a private key)",
                "unknown fragment 'somewhere-else'");
    }

    @Test
    void fragmentsGivenTogetherAreKnownByFileName() throws IOException {
        Path fragment = write("verify-client.xml", "<fragment><validate-client-certificate validate-revocation=\"false\" /></fragment>");
        Path api = write("api.xml", "<policies><inbound><base /><include-fragment fragment-id=\"verify-client\" /></inbound></policies>");
        Diagnostics d = PolicyCheck.check(List.of(fragment, api));
        assertThat(d.all()).as(d.render()).isEmpty();
    }

    @Test
    void fragmentFilesAreCheckedOnTheirOwn() throws IOException {
        Path fragment = write("broken.xml", "<fragment>\n  <base />\n  <set-headr name=\"a\" />\n</fragment>");
        Diagnostics d = PolicyCheck.check(List.of(fragment));
        assertThat(d.all()).extracting(Diagnostic::toString).containsExactly(
                fragment + ":2:3: error: <base/> is not allowed inside a fragment: fragments are included into a section, which decides where <base/> goes",
                fragment + ":3:3: error: unknown policy 'set-headr' (did you mean 'set-header'?)");
    }

    @Test
    void errorsAreReportedWithFileLineAndColumn() throws IOException {
        Path p = write("bad.xml", "<policies>\n  <inbound>\n    <sql-data-source />\n  </inbound>\n</policies>");
        Diagnostics d = PolicyCheck.check(List.of(p));
        assertThat(d.hasErrors()).isTrue();
        assertThat(d.all()).extracting(Diagnostic::toString)
                .containsExactly(p + ":3:5: error: policy 'sql-data-source' is not supported yet");
    }

    @Test
    void unreadableFileIsAnError() {
        Diagnostics d = PolicyCheck.check(List.of(dir.resolve("missing.xml")));
        assertThat(d.hasErrors()).isTrue();
        assertThat(d.all().get(0).message()).startsWith("cannot read the file: NoSuchFileException");
    }
}
