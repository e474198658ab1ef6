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

    private final Logger log;
    private final long intervalNs;
    private final long[] lastLoggedNs = new long[REASONS.length];
    private final long[] suppressed = new long[REASONS.length];

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
        final int index = reason.ordinal();
        if (lastLoggedNs[index] != NEVER && nowNs - lastLoggedNs[index] < intervalNs)
        {
            suppressed[index]++;
            return;
        }

        final long suppressedCount = suppressed[index];
        final long previousNs = lastLoggedNs[index];
        suppressed[index] = 0;
        lastLoggedNs[index] = nowNs;
        if (suppressedCount == 0)
        {
            log.warn("rejected {} frame (worker {}): {} ({}={})",
                WireSchema.templateName(templateId), workerId, reason, detailName, detailValue);
        }
        else
        {
            log.warn("rejected {} frame (worker {}): {} ({}={}); {} similar {} rejections suppressed over the last {} ms",
                WireSchema.templateName(templateId), workerId, reason, detailName, detailValue,
                suppressedCount, reason, TimeUnit.NANOSECONDS.toMillis(nowNs - previousNs));
        }
    }
}
