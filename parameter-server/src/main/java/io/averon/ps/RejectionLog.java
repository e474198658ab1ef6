package io.averon.ps;

import io.averon.ps.wire.WireSchema;
import org.slf4j.Logger;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Rate-limited WARN lines for rejected frames: the first rejection of each reason is logged at once, later ones
 * within the interval are only counted and reported with the next line. A flood of forged frames thus costs one
 * log line per reason per interval and no allocation for the suppressed ones.
 */
final class RejectionLog
{
    private static final RejectReason[] REASONS = RejectReason.values();
    private static final long NEVER = Long.MIN_VALUE;
    private static final long SUPPRESSED = -1;

    private final Logger log;
    private final long intervalNs;
    private final long[] lastLoggedNs = new long[REASONS.length];
    private final long[] suppressed = new long[REASONS.length];
    private long sincePreviousMs;

    RejectionLog(final Logger log, final long intervalMs)
    {
        this.log = log;
        this.intervalNs = TimeUnit.MILLISECONDS.toNanos(intervalMs);
        Arrays.fill(lastLoggedNs, NEVER);
    }

    void rejected(
        final RejectReason reason,
        final int templateId,
        final int workerId,
        final String detailName,
        final long detailValue,
        final long nowNs)
    {
        final long suppressedCount = admit(reason, nowNs);
        if (suppressedCount == SUPPRESSED)
        {
            return;
        }
        if (suppressedCount == 0)
        {
            log.warn("rejected {} frame (worker {}): {} ({}={})",
                WireSchema.templateName(templateId), workerId, reason, detailName, detailValue);
        }
        else
        {
            log.warn("rejected {} frame (worker {}): {} ({}={}); {} similar {} rejections suppressed over the last {} ms",
                WireSchema.templateName(templateId), workerId, reason, detailName, detailValue,
                suppressedCount, reason, sincePreviousMs);
        }
    }

    /**
     * A frame of another schema, or of a version too old to read: named with both sides' schema and version, since
     * the usual cause is a peer built from another release rather than a corrupt frame.
     */
    void incompatible(final RejectReason reason, final int schemaId, final int version, final long nowNs)
    {
        final long suppressedCount = admit(reason, nowNs);
        if (suppressedCount == SUPPRESSED)
        {
            return;
        }
        if (suppressedCount == 0)
        {
            log.warn("rejected {}: {}", reason, WireSchema.incompatibility(schemaId, version));
        }
        else
        {
            log.warn("rejected {}: {}; {} similar {} rejections suppressed over the last {} ms",
                reason, WireSchema.incompatibility(schemaId, version), suppressedCount, reason, sincePreviousMs);
        }
    }

    /**
     * @return {@link #SUPPRESSED} if this rejection is only counted, else how many were suppressed since the last
     *         line for the reason.
     */
    private long admit(final RejectReason reason, final long nowNs)
    {
        final int index = reason.ordinal();
        if (lastLoggedNs[index] != NEVER && nowNs - lastLoggedNs[index] < intervalNs)
        {
            suppressed[index]++;
            return SUPPRESSED;
        }

        final long suppressedCount = suppressed[index];
        sincePreviousMs = TimeUnit.NANOSECONDS.toMillis(nowNs - lastLoggedNs[index]);
        suppressed[index] = 0;
        lastLoggedNs[index] = nowNs;
        return suppressedCount;
    }
}
