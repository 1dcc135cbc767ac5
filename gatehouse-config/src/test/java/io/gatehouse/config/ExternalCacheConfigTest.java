package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.config.model.ExternalCacheSettings;
import io.gatehouse.config.model.RedisConnection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gateway.externalCache}: both connection-string forms, the password kept secret, and the reader's messages. */
class ExternalCacheConfigTest {
    private static final String BASE = """
            gateway:
              listeners:
                - port: 8080
                  tls: false
            %s
            apis:
              - id: a
                path: a
                serviceUrl: http://backend.local
                policyXml: <policies><inbound><base /><cache-lookup-value key="k" variable-name="v" caching-type="external" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>
            """;

    @TempDir
    Path dir;

    private ConfigResult load(String gatewayExtra, Map<String, String> env) throws IOException {
        Path file = dir.resolve("config.yaml");
        Files.writeString(file, BASE.formatted(gatewayExtra));
        return ConfigLoader.load(file, env);
    }

    // ---------------------------------------------------------------- the parser

    @Test
    void aRedisUriGivesHostPortUserPasswordAndDatabase() {
        List<String> warnings = new ArrayList<>();
        RedisConnection c = RedisConnection.parse("redis://app:s3cr%40t@redis.internal:6390/2?clientName=gw1", warnings::add);
        assertThat(c.endpoints()).containsExactly(new RedisConnection.Endpoint("redis.internal", 6390));
        assertThat(c.ssl()).isFalse();
        assertThat(c.user()).isEqualTo("app");
        assertThat(c.password().revealString()).isEqualTo("s3cr@t");
        assertThat(c.database()).isEqualTo(2);
        assertThat(c.clientName()).isEqualTo("gw1");
        assertThat(c.sentinelMaster()).isNull();
        assertThat(warnings).isEmpty();
        assertThat(c.display()).isEqualTo("redis://redis.internal:6390 db 2");
        assertThat(c.toString()).doesNotContain("s3cr");

        RedisConnection tls = RedisConnection.parse("rediss://:pw@cache.example.net", w -> { });
        assertThat(tls.ssl()).isTrue();
        assertThat(tls.endpoints().get(0).port()).isEqualTo(6379);
        assertThat(tls.user()).isNull();
        assertThat(tls.password().revealString()).isEqualTo("pw");
    }

    @Test
    void aSentinelUriNamesTheSentinelsAndTheMaster() {
        RedisConnection c = RedisConnection.parse("redis-sentinel://:pw@s1:26379,s2,s3:26380/1#mymaster", w -> { });
        assertThat(c.endpoints()).extracting(Object::toString).containsExactly("s1:26379", "s2:26379", "s3:26380");
        assertThat(c.sentinelMaster()).isEqualTo("mymaster");
        assertThat(c.database()).isEqualTo(1);
        assertThatThrownBy(() -> RedisConnection.parse("redis-sentinel://:pw@s1:26379", w -> { }))
                .hasMessageContaining("master's name after '#'").hasMessageNotContaining("pw@");
    }

    @Test
    void theStackExchangeFormReadsItsDocumentedOptions() {
        List<String> warnings = new ArrayList<>();
        RedisConnection c = RedisConnection.parse(
                "contoso.redis.cache.windows.net:6380,password=abc=123,ssl=True,abortConnect=False,defaultDatabase=3,"
                        + "name=gw,connectTimeout=1500,syncTimeout=2000,allowAdmin=false,frobnicate=1", warnings::add);
        assertThat(c.endpoints()).containsExactly(new RedisConnection.Endpoint("contoso.redis.cache.windows.net", 6380));
        assertThat(c.ssl()).isTrue();
        assertThat(c.password().revealString()).isEqualTo("abc=123");
        assertThat(c.database()).isEqualTo(3);
        assertThat(c.clientName()).isEqualTo("gw");
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(warnings).hasSize(2);
        assertThat(warnings.get(0)).contains("'syncTimeout' has no effect here");
        assertThat(warnings.get(1)).contains("'frobnicate' is not known");

        // ssl without a port: 6380, as StackExchange.Redis and Azure Cache for Redis assume; without ssl: 6379
        assertThat(RedisConnection.parse("cache.local,ssl=true", w -> { }).endpoints().get(0).port()).isEqualTo(6380);
        assertThat(RedisConnection.parse("cache.local", w -> { }).endpoints().get(0).port()).isEqualTo(6379);
        RedisConnection sentinel = RedisConnection.parse("s1:26379,s2:26379,serviceName=mymaster,password=x", w -> { });
        assertThat(sentinel.sentinelMaster()).isEqualTo("mymaster");
        assertThat(sentinel.endpoints()).hasSize(2);
    }

    @Test
    void errorsNeverShowThePassword() {
        assertThatThrownBy(() -> RedisConnection.parse("cache.local:99999,password=TopSecret1,ssl=True", w -> { }))
                .hasMessageContaining("port 99999 is out of range").hasMessageContaining("password=****")
                .hasMessageNotContaining("TopSecret1");
        assertThatThrownBy(() -> RedisConnection.parse("redis://:TopSecret1@cache.local:x", w -> { }))
                .hasMessageContaining("not a number").hasMessageNotContaining("TopSecret1");
        assertThatThrownBy(() -> RedisConnection.parse("password=TopSecret1,ssl=True", w -> { }))
                .hasMessageContaining("names no host").hasMessageNotContaining("TopSecret1");
        assertThatThrownBy(() -> RedisConnection.parse("http://user:TopSecret1@cache.local", w -> { }))
                .hasMessageContaining("scheme").hasMessageNotContaining("TopSecret1");
        assertThatThrownBy(() -> RedisConnection.parse("a:1,b:2,password=TopSecret1", w -> { }))
                .hasMessageContaining("names 2 endpoints").hasMessageNotContaining("TopSecret1");
        assertThat(RedisConnection.redact("h:1,password=p1,ssl=True")).isEqualTo("h:1,password=****,ssl=True");
        assertThat(RedisConnection.redact("rediss://u:p1@h:1/0")).isEqualTo("rediss://****@h:1/0");
        // base64 keys hold '/' and may hold '@': the whole user-info is masked, as parse reads it (up to the last @)
        assertThatThrownBy(() -> RedisConnection.parse("redis://:Ab/Cd+Ef@Gh=@cache.local:x", w -> { }))
                .hasMessageContaining("port").hasMessageNotContaining("Ab/Cd").hasMessageNotContaining("Ef@Gh").hasMessageNotContaining("Gh=");
        assertThat(RedisConnection.redact("rediss://:Ab/Cd@Ef@h:1/0?ssl=true")).isEqualTo("rediss://****@h:1/0?ssl=true");
        // a timeout must be positive, said at load rather than failing when Lettuce connects
        assertThatThrownBy(() -> RedisConnection.parse("cache.local,connectTimeout=-5,password=TopSecret1", w -> { }))
                .hasMessageContaining("connectTimeout '-5' is not a number of milliseconds from 1 to 60000")
                .hasMessageNotContaining("TopSecret1");
        assertThatThrownBy(() -> RedisConnection.parse("redis://cache.local?timeout=0", w -> { }))
                .hasMessageContaining("timeout '0' is not a number of milliseconds");
        // the load waits for it: too long is refused by name, not left to overflow later
        assertThatThrownBy(() -> RedisConnection.parse("cache.local,connectTimeout=1e30s", w -> { }))
                .hasMessageContaining("connectTimeout '1e30s'");
        // a '#' or '?' in a password that is not percent-encoded: still masked whole
        assertThatThrownBy(() -> RedisConnection.parse("redis://:p#ss?wd@cache.local:6379", w -> { }))
                .hasMessageNotContaining("ss").hasMessageNotContaining("wd");
        // a ',' in a StackExchange password: what follows it reads as an endpoint, and is not shown
        assertThatThrownBy(() -> RedisConnection.parse("cache.local:6380,password=Ab12,Cd34:x,ssl=True", w -> { }))
                .hasMessageContaining("names 2 endpoints").hasMessageContaining("gateway.externalCache.password")
                .hasMessageNotContaining("Ab12").hasMessageNotContaining("Cd34");
    }

    // ---------------------------------------------------------------- the reader

    @Test
    void theSectionIsReadWithThePasswordFromTheEnvironment() throws IOException {
        ConfigResult r = load("""
                  externalCache:
                    connectionString: redis.internal:6380,ssl=True,abortConnect=False
                    password: ${env:REDIS_PASSWORD}
                    timeout: 80ms
                    failureMode: closed
                    keyPrefix: "gh:prod:"
                    earlyAdmission: false
                """, Map.of("REDIS_PASSWORD", "from-env-1"));
        assertThat(r.diagnostics().render()).isEmpty();
        ExternalCacheSettings x = r.config().model().gateway().externalCache();
        assertThat(x.connection().password().revealString()).isEqualTo("from-env-1");
        assertThat(x.connection().ssl()).isTrue();
        assertThat(x.timeout()).isEqualTo(Duration.ofMillis(80));
        assertThat(x.failureMode()).isEqualTo(ExternalCacheSettings.FailureMode.CLOSED);
        assertThat(x.keyPrefix()).isEqualTo("gh:prod:");
        assertThat(x.earlyAdmission()).isFalse();
        assertThat(r.config().policies().usesExternalCache()).isTrue();
    }

    @Test
    void defaultsApply() throws IOException {
        ConfigResult r = load("""
                  externalCache:
                    connectionString: redis://127.0.0.1
                """, Map.of());
        assertThat(r.diagnostics().render()).isEmpty();
        ExternalCacheSettings x = r.config().model().gateway().externalCache();
        assertThat(x.timeout()).isEqualTo(Duration.ofMillis(50));
        assertThat(x.failureMode()).isEqualTo(ExternalCacheSettings.FailureMode.OPEN);
        assertThat(x.keyPrefix()).isEqualTo("gatehouse:");
        assertThat(x.earlyAdmission()).isTrue();
        assertThat(x.connection().password()).isNull();
    }

    @Test
    void withoutAnExternalCacheCachingTypeExternalIsAnError() throws IOException {
        ConfigResult r = load("", Map.of());
        assertThat(r.diagnostics().render()).contains("caching-type 'external' on <cache-lookup-value>: the config has no external cache");
    }

    @Test
    void mistakesAreNamedWithTheirPlaceAndNoPassword() throws IOException {
        ConfigResult r = load("""
                  externalCache:
                    connectionString: "cache.local:0,password=Hunter2Hunter2,ssl=True"
                    timeout: soon
                    failureMode: maybe
                    retries: 3
                    earlyAdmission: sometimes
                """, Map.of());
        String out = r.diagnostics().render();
        assertThat(out).contains("config.yaml:6:23: error: gateway externalCache connectionString: 'cache.local:0,password=****,ssl=True': port 0 is out of range");
        assertThat(out).contains("config.yaml:7:14: error: gateway externalCache timeout 'soon'");
        assertThat(out).contains("config.yaml:8:18: error: gateway externalCache failureMode 'maybe' is not known (expected: open, the default, or closed)");
        assertThat(out).contains("config.yaml:9:").contains("retries");
        assertThat(out).contains("config.yaml:10:").contains("expected true or false for 'earlyAdmission'");
        assertThat(out).doesNotContain("Hunter2");

        ConfigResult missing = load("""
                  externalCache:
                    timeout: 50ms
                """, Map.of());
        assertThat(missing.diagnostics().render()).contains("missing required key 'connectionString' in gateway externalCache");

        ConfigResult warned = load("""
                  externalCache:
                    connectionString: cache.local,password=Hunter2Hunter2,frobnicate=1
                """, Map.of());
        assertThat(warned.diagnostics().render()).contains("warning: gateway externalCache: connection string option 'frobnicate' is not known")
                .doesNotContain("Hunter2");
    }
}
