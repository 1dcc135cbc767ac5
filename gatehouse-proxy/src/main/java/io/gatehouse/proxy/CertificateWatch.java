package io.gatehouse.proxy;

import io.gatehouse.config.CertificateInventory;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the {@link CertificateInventory} of the config now serving and watches it age: every
 * certificate or CA certificate within {@code gateway.certificates.expiryWarningDays} of its
 * notAfter (or past it) gets a WARN line when it first is, and again once a day while it stays
 * so, whether or not the config is reloaded meanwhile; {@code gatehouse_certificates_expiring}
 * counts them at each scrape. The check runs hourly on one event loop and costs microseconds.
 */
final class CertificateWatch {
    private static final Logger log = LoggerFactory.getLogger("gatehouse.certificates");
    private static final Duration REPEAT = Duration.ofDays(1);
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private volatile CertificateInventory inventory;
    /** When each certificate (by kind, id and SHA-256) was last warned about. */
    private final Map<String, Instant> warned = new ConcurrentHashMap<>();
    private ScheduledFuture<?> task;

    CertificateWatch(CertificateInventory first, GatewayMetrics metrics) {
        this.inventory = first;
        metrics.expiringCertificates(this, w -> w.inventory.expiring(Instant.now()).size());
    }

    /** Starts the hourly check (and runs it once now). */
    void start(EventExecutorGroup group) {
        check(Instant.now());
        task = group.next().scheduleAtFixedRate(() -> check(Instant.now()), 1, 1, TimeUnit.HOURS);
    }

    void stop() {
        if (task != null) {
            task.cancel(false);
        }
    }

    /** A reload's inventory replaces the old one; what it brings that is near expiry is warned about now. */
    void update(CertificateInventory next) {
        inventory = next;
        // forget certificates the config no longer has (a rotated one comes back under its new SHA-256)
        java.util.Set<String> current = new java.util.HashSet<>();
        for (CertificateInventory.Entry e : next.entries()) {
            current.add(key(e));
        }
        warned.keySet().retainAll(current);
        check(Instant.now());
    }

    private static String key(CertificateInventory.Entry e) {
        return e.kind().label() + '\u0000' + e.id() + '\u0000' + e.sha256();
    }

    CertificateInventory inventory() {
        return inventory;
    }

    /** Logs each expiring certificate not warned about within a day; returns how many were logged. */
    int check(Instant now) {
        int logged = 0;
        for (CertificateInventory.Entry e : inventory.expiring(now)) {
            String key = key(e);
            Instant last = warned.get(key);
            if (last != null && last.plus(REPEAT).isAfter(now)) {
                continue;
            }
            warned.put(key, now);
            logged++;
            String what = (e.kind() == CertificateInventory.Kind.CA ? "CA certificate '" : "certificate '") + e.id()
                    + "' ('" + e.subject() + "', thumbprint " + e.thumbprint() + ")";
            String used = e.usedBy().isEmpty() ? "" : " (used by " + String.join(", ", e.usedBy()) + ")";
            if (e.notAfter().isBefore(now)) {
                log.warn("{} expired on {}{}; renew it and reload", what, DATE.format(e.notAfter()), used);
            } else {
                long days = e.daysLeft(now);
                log.warn("{} expires in {} on {}{}; renew it before then (warning {} days ahead: "
                                + "gateway.certificates.expiryWarningDays)", what,
                        days == 1 ? "1 day" : days + " days", DATE.format(e.notAfter()), used,
                        inventory.expiryWarning().toDays());
            }
        }
        return logged;
    }
}
