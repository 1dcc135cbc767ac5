package io.gatehouse.tls;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where revocation information from the network comes from: CRLs downloaded from the HTTP URLs
 * in certificates' cRLDistributionPoints and OCSP responses (RFC 6960) from the responders their
 * authorityInfoAccess names. One per process ({@link #shared()}), so its caches serve every
 * connection and outlive config reloads.
 *
 * <ul>
 * <li><b>Cache.</b> A CRL is kept until its nextUpdate (15 minutes when it has none), an OCSP
 * response until its nextUpdate (5 minutes after thisUpdate when it has none). At most
 * {@link Limits#maxCrls} CRLs and {@link Limits#maxOcspResponses} responses are kept (expired,
 * then least recently used entries go first).</li>
 * <li><b>Off the event loop.</b> Downloads run on this class's own threads, each bounded by
 * {@link Limits#timeout} for connecting and for the whole response, and by size (CRL
 * {@link Limits#maxCrlBytes}, OCSP {@link Limits#maxOcspBytes}). Callers on a Netty event loop
 * never wait: they read what is cached and a miss starts the download (see
 * {@link #mayWait()}); other threads (the TLS delegated-task threads {@link #taskExecutor()},
 * config loading, tests) wait for it.</li>
 * <li><b>Coalesced.</b> Concurrent requests for the same URL (CRL) or the same certificate at
 * the same responder (OCSP) share one download.</li>
 * <li><b>Failures remembered.</b> A failed download (refused, timed out, HTTP error, too large,
 * unreadable, a response whose signature does not verify) is answered from memory for
 * {@link Limits#failureMemory}, so a dead responder is not asked on every handshake.</li>
 * <li><b>Refreshed while in use.</b> An entry read in the last 10 minutes is downloaded again
 * shortly before it expires (the last fifth of its life, at most 5 minutes before); the old one
 * keeps serving until the new one arrives, and stays when the refresh fails.</li>
 * </ul>
 *
 * <p>Only certificates on a path already validated to a trusted root are looked up (the
 * {@link ChainVerifier} asks after path building), so a URL is followed only when a trusted CA
 * signed it into a certificate: a client cannot make the gateway fetch from where it likes.
 * What a fetched CRL or response proves is decided by {@link CrlChecks} and {@link OcspChecks}.
 */
public final class RevocationSources {

    private static final Logger log = LoggerFactory.getLogger("gatehouse.tls");

    /** Time and size bounds of the downloads and caches. */
    public record Limits(Duration timeout, int maxCrlBytes, int maxOcspBytes, Duration failureMemory, int maxCrls,
            int maxOcspResponses) {
        public Limits {
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(failureMemory, "failureMemory");
        }

        /** 5 s, CRLs up to 10 MB, OCSP responses up to 64 KB, failures remembered 30 s, 1,000 CRLs, 20,000 responses. */
        public static Limits defaults() {
            return new Limits(Duration.ofSeconds(5), 10 * 1024 * 1024, 64 * 1024, Duration.ofSeconds(30), 1_000,
                    20_000);
        }
    }

    /** What a download produced: the value, or why there is none; counts until {@code until}. */
    record Fetched<T>(T value, String failure, Instant fetchedAt, Instant until) {
        boolean ok() {
            return value != null;
        }
    }

    /** Whose status an OCSP response gives: the certificate's serial under this issuer, at that responder. */
    record OcspKey(URI responder, X509Certificate issuer, BigInteger serial) {
        @Override
        public String toString() {
            return "serial " + serial.toString(16) + " of " + ChainVerifier.quote(issuer) + " at " + responder;
        }
    }

    /** No sources: nothing is fetched (the configured CRLs alone are used). */
    public static final RevocationSources NONE = new RevocationSources();

    private static volatile RevocationSources shared;
    /** Threads for handshake tasks and cache warming. */
    static final int TASK_THREADS = 32;

    private final boolean fetches;
    private final Limits limits;
    private final HttpClient http;
    private final ExecutorService fetchers;
    private final ThreadPoolExecutor tasks;
    private final ScheduledExecutorService timer;
    private final Cache<URI, X509CRL> crls;
    private final Cache<OcspKey, OcspChecks.Answer> ocsp;

    private RevocationSources() {
        this.fetches = false;
        this.limits = Limits.defaults();
        this.http = null;
        this.fetchers = null;
        this.tasks = null;
        this.timer = null;
        this.crls = null;
        this.ocsp = null;
    }

    /** Sources with their own threads and caches (tests; the gateway uses {@link #shared()}). */
    public RevocationSources(Limits limits) {
        this.fetches = true;
        this.limits = Objects.requireNonNull(limits, "limits");
        this.fetchers = Executors.newFixedThreadPool(8, daemon("gatehouse-revocation-fetch"));
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(limits.timeout())
                .followRedirects(HttpClient.Redirect.NORMAL).build(); // its own threads: fetchers block in send
        // mostly short CPU work, but a check may wait up to the download limit for a slow source:
        // enough threads that handshakes needing nothing do not queue behind those that wait
        // (idle threads end after a minute)
        this.tasks = new ThreadPoolExecutor(TASK_THREADS, TASK_THREADS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemon("gatehouse-tls-task"));
        this.tasks.allowCoreThreadTimeOut(true);
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("gatehouse-revocation-refresh"));
        this.crls = new Cache<>("CRL", limits.maxCrls());
        this.ocsp = new Cache<>("OCSP", limits.maxOcspResponses());
        timer.scheduleWithFixedDelay(this::refreshInUse, 10, 10, TimeUnit.SECONDS);
    }

    /** The process's sources, made on first use with {@link Limits#defaults()}. */
    public static RevocationSources shared() {
        RevocationSources s = shared;
        if (s == null) {
            synchronized (RevocationSources.class) {
                s = shared;
                if (s == null) {
                    s = new RevocationSources(Limits.defaults());
                    shared = s;
                }
            }
        }
        return s;
    }

    /** Whether this instance downloads anything ({@link #NONE} does not). */
    public boolean fetches() {
        return fetches;
    }

    public Limits limits() {
        return limits;
    }

    /**
     * Threads for work that may wait for a download: the TLS handshakes' delegated tasks
     * (certificate checks, see {@link SslContextFactory}) and warming the cache for a client's
     * chain. Runs work inline for {@link #NONE}.
     */
    public Executor taskExecutor() {
        return tasks == null ? Runnable::run : tasks;
    }

    /**
     * Whether the current thread may wait for a download: not on a Netty event loop (those only
     * read the cache, see the class comment).
     */
    public static boolean mayWait() {
        Thread t = Thread.currentThread();
        return !(t instanceof io.netty.util.concurrent.FastThreadLocalThread)
                && io.netty.util.internal.ThreadExecutorMap.currentExecutor() == null;
    }

    /** The CRL at {@code uri}: cached, or being downloaded. */
    CompletableFuture<Fetched<X509CRL>> crl(URI uri) {
        return crls.get(uri, () -> fetchCrl(uri));
    }

    /** The verified OCSP answer for {@code cert} (issued by {@code issuer}) from {@code responder}. */
    CompletableFuture<Fetched<OcspChecks.Answer>> ocsp(URI responder, X509Certificate cert, X509Certificate issuer) {
        OcspKey key = new OcspKey(responder, issuer, cert.getSerialNumber());
        return ocsp.get(key, () -> fetchOcsp(key));
    }

    /**
     * Keeps the CRL downloaded from {@code uri} for no longer than the failure memory: it proved
     * not to be from the CA (wrong issuer or key, or not a CRL that may be used), so it is asked
     * for again soon rather than at its own nextUpdate (a CA that fixes its CRL, or a download
     * that was tampered with, does not leave the status unknown for hours).
     */
    void distrustCrl(URI uri, String why) {
        if (crls != null && crls.shorten(uri, Instant.now().plus(limits.failureMemory()))) {
            log.warn("the CRL at {} does not count: {}; asking again in {} s", uri, why,
                    limits.failureMemory().toSeconds());
        }
    }

    /** Starts downloading the CRLs the CA certificates name (their issuers' CRLs), without waiting. */
    public void prefetchCrls(List<X509Certificate> caCertificates) {
        if (!fetches) {
            return;
        }
        for (X509Certificate c : caCertificates) {
            try {
                for (URI u : CrlDistributionPoints.of(c)) {
                    crl(u);
                }
            } catch (TlsConfigException e) {
                log.debug("not prefetching CRLs for {}: {}", ChainVerifier.quote(c), e.getMessage());
            }
        }
    }

    /**
     * The answer now, waiting for a download when {@link #mayWait()} (at most the download's
     * time limit); null on an event loop when it is not cached yet (the download goes on).
     */
    <T> Fetched<T> await(CompletableFuture<Fetched<T>> f) {
        if (f.isDone() || !mayWait()) {
            return f.getNow(null);
        }
        try {
            return f.get(limits.timeout().toMillis() * 2 + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException | TimeoutException e) {
            return null;
        }
    }

    /** How many CRLs and OCSP answers are cached (tests, diagnostics). */
    int cachedCount() {
        return (crls == null ? 0 : crls.map.size()) + (ocsp == null ? 0 : ocsp.map.size());
    }

    /** Forgets everything cached (tests). */
    void clear() {
        if (crls != null) {
            crls.map.clear();
            ocsp.map.clear();
        }
    }

    private CompletableFuture<Fetched<X509CRL>> fetchCrl(URI uri) {
        return CompletableFuture.supplyAsync(() -> {
            Instant now = Instant.now();
            try {
                byte[] body = download(uri, "GET", null, null, limits.maxCrlBytes());
                X509CRL crl = CrlDistributionPoints.parse(body, uri);
                Instant until = crl.getNextUpdate() != null ? crl.getNextUpdate().toInstant()
                        : now.plus(Duration.ofMinutes(15));
                if (!until.isAfter(now)) {
                    // a stale CRL is kept briefly, as a failure is: CrlChecks refuses it and says so
                    until = now.plus(limits.failureMemory());
                    log.warn("the CRL at {} is stale (its nextUpdate was {}): it does not count; asking again in {} s",
                            uri, crl.getNextUpdate().toInstant(), limits.failureMemory().toSeconds());
                }
                return new Fetched<>(crl, null, now, until);
            } catch (TlsConfigException e) {
                log.warn("{}; asking again in {} s", e.getMessage(), limits.failureMemory().toSeconds());
                return new Fetched<X509CRL>(null, e.getMessage(), now, now.plus(limits.failureMemory()));
            }
        }, fetchers);
    }

    private CompletableFuture<Fetched<OcspChecks.Answer>> fetchOcsp(OcspKey key) {
        return CompletableFuture.supplyAsync(() -> {
            Instant now = Instant.now();
            try {
                OcspChecks.Request request = OcspChecks.request(key.issuer(), key.serial());
                byte[] body = download(key.responder(), "POST", request.encoded(), "application/ocsp-request",
                        limits.maxOcspBytes());
                OcspChecks.Answer answer = OcspChecks.verify(body, request, key.issuer(), Instant.now());
                return new Fetched<>(answer, null, now, answer.cacheUntil());
            } catch (TlsConfigException e) {
                String what = e.getMessage().startsWith("OCSP request to ") ? e.getMessage()
                        : "OCSP responder " + key.responder() + " for " + key + ": " + e.getMessage();
                log.warn("{}; asking again in {} s", what, limits.failureMemory().toSeconds());
                return new Fetched<OcspChecks.Answer>(null, e.getMessage(), now, now.plus(limits.failureMemory()));
            }
        }, fetchers);
    }

    /**
     * One HTTP exchange with a time limit on connecting and on the whole response and a size
     * limit on the body. Failures are {@link TlsConfigException}s naming the URL.
     */
    private byte[] download(URI uri, String method, byte[] body, String contentType, int maxBytes) {
        String what = ("POST".equals(method) ? "OCSP request to " : "CRL download from ") + uri;
        long deadline = System.nanoTime() + limits.timeout().toNanos();
        HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(limits.timeout());
        if (body != null) {
            rb.header("Content-Type", contentType).header("Accept", "application/ocsp-response")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        } else {
            rb.GET();
        }
        HttpResponse<InputStream> response;
        try {
            response = http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (java.net.http.HttpTimeoutException e) {
            throw new TlsConfigException(what + " failed: no answer within " + limits.timeout().toMillis() + " ms", e);
        } catch (IOException e) {
            throw new TlsConfigException(what + " failed: " + (e.getMessage() == null
                    ? e.getClass().getSimpleName() : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TlsConfigException(what + " was interrupted", e);
        }
        try (InputStream in = response.body()) {
            if (response.statusCode() != 200) {
                throw new TlsConfigException(what + " failed: HTTP " + response.statusCode());
            }
            OptionalLong length = response.headers().firstValueAsLong("Content-Length");
            if (length.isPresent() && length.getAsLong() > maxBytes) {
                throw new TlsConfigException(what + " failed: the answer is larger than " + maxBytes + " bytes");
            }
            // the whole body within the time limit: a responder trickling bytes is cut off
            var closer = timer.schedule(() -> {
                try {
                    in.close();
                } catch (IOException ignored) {
                    // closing only to stop the read
                }
            }, Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
            try {
                byte[] out = in.readNBytes(maxBytes + 1);
                if (out.length > maxBytes) {
                    throw new TlsConfigException(what + " failed: the answer is larger than " + maxBytes + " bytes");
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new TlsConfigException(what + " failed: no whole answer within "
                            + limits.timeout().toMillis() + " ms");
                }
                return out;
            } finally {
                closer.cancel(false);
            }
        } catch (IOException e) {
            throw new TlsConfigException(what + " failed while reading the answer: " + e.getMessage(), e);
        }
    }

    private void refreshInUse() {
        try {
            crls.refresh(this::fetchCrl);
            ocsp.refresh(this::fetchOcsp);
        } catch (RuntimeException e) {
            log.warn("refreshing cached revocation information failed: {}", e.toString());
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** A bounded map of downloads, each shared while in flight and kept until its entry's {@code until}. */
    private static final class Cache<K, V> {
        private static final long IN_USE_NANOS = TimeUnit.MINUTES.toNanos(10);

        final class Slot {
            final CompletableFuture<Fetched<V>> future;
            volatile long lastUsed = System.nanoTime();
            volatile boolean refreshing;

            Slot(CompletableFuture<Fetched<V>> future) {
                this.future = future;
            }

            boolean current(Instant now) {
                Fetched<V> f = future.getNow(null);
                return f == null ? !future.isDone() : f.until().isAfter(now);
            }
        }

        private final String what;
        private final int max;
        final ConcurrentHashMap<K, Slot> map = new ConcurrentHashMap<>();

        Cache(String what, int max) {
            this.what = what;
            this.max = max;
        }

        CompletableFuture<Fetched<V>> get(K key, Supplier<CompletableFuture<Fetched<V>>> fetch) {
            Instant now = Instant.now();
            Slot s = map.get(key);
            if (s == null || !s.current(now)) {
                s = map.compute(key, (k, old) -> old != null && old.current(now) ? old : new Slot(fetch.get()));
                if (map.size() > max) {
                    trim(now);
                }
            }
            s.lastUsed = System.nanoTime();
            return s.future;
        }

        /** Makes a downloaded entry expire by {@code until} at the latest; true when that shortened it. */
        boolean shorten(K key, Instant until) {
            Slot s = map.get(key);
            Fetched<V> f = s == null ? null : s.future.getNow(null);
            if (f != null && f.until().isAfter(until)) {
                Slot next = new Slot(CompletableFuture.completedFuture(
                        new Fetched<>(f.value(), f.failure(), f.fetchedAt(), until)));
                next.lastUsed = s.lastUsed;
                return map.replace(key, s, next);
            }
            return false;
        }

        /** Starts new downloads for entries in use that are about to expire; keeps the old until one succeeds. */
        void refresh(java.util.function.Function<K, CompletableFuture<Fetched<V>>> fetch) {
            Instant now = Instant.now();
            long nanos = System.nanoTime();
            for (Map.Entry<K, Slot> e : map.entrySet()) {
                Slot s = e.getValue();
                Fetched<V> f = s.future.getNow(null);
                if (f == null || !f.ok() || s.refreshing || nanos - s.lastUsed > IN_USE_NANOS) {
                    continue;
                }
                Duration life = Duration.between(f.fetchedAt(), f.until());
                Duration margin = life.dividedBy(5);
                if (margin.compareTo(Duration.ofMinutes(5)) > 0) {
                    margin = Duration.ofMinutes(5);
                }
                if (now.plus(margin).isBefore(f.until())) {
                    continue;
                }
                s.refreshing = true;
                K key = e.getKey();
                fetch.apply(key).whenComplete((fresh, err) -> {
                    s.refreshing = false;
                    if (fresh != null && fresh.ok()) {
                        Slot next = new Slot(CompletableFuture.completedFuture(fresh));
                        next.lastUsed = s.lastUsed;
                        map.replace(key, s, next);
                    } else {
                        log.debug("refreshing the {} for {} failed: {}", what, key,
                                fresh == null ? String.valueOf(err) : fresh.failure());
                    }
                });
            }
        }

        private synchronized void trim(Instant now) {
            map.entrySet().removeIf(e -> !e.getValue().current(now));
            if (map.size() <= max) {
                return;
            }
            record Used<K, S>(K key, S slot, long lastUsed) {
            }
            List<Used<K, Slot>> entries = new ArrayList<>();
            map.forEach((k, v) -> entries.add(new Used<>(k, v, v.lastUsed)));
            entries.sort((a, b) -> Long.compare(a.lastUsed(), b.lastUsed()));
            int drop = map.size() - max + max / 10;
            for (int i = 0; i < drop && i < entries.size(); i++) {
                map.remove(entries.get(i).key(), entries.get(i).slot());
            }
        }
    }
}
