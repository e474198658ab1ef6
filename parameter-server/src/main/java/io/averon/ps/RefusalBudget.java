package io.averon.ps;

import java.util.concurrent.TimeUnit;

/**
 * A token bucket bounding how many refusals the server sends to senders it has not authenticated: a few at once
 * (several workers started with a stale token all hear why), then one per interval however fast bad REGISTERs
 * arrive, so the server can never be made to emit traffic at the rate a stranger sends it. Agent thread only.
 */
final class RefusalBudget
{
    private final int capacity;
    private final long intervalNs;
    private int tokens;
    private long lastRefillNs;

    RefusalBudget(final int capacity, final long intervalMs, final long nowNs)
    {
        this.capacity = capacity;
        this.intervalNs = TimeUnit.MILLISECONDS.toNanos(intervalMs);
        this.tokens = capacity;
        this.lastRefillNs = nowNs;
    }

    /**
     * @param nowNs current time.
     * @return true if a refusal may be sent now (the budget is charged), false if it must be withheld.
     */
    boolean tryAcquire(final long nowNs)
    {
        final long elapsed = nowNs - lastRefillNs;
        if (elapsed >= intervalNs)
        {
            final long refill = elapsed / intervalNs;
            tokens = (int)Math.min(capacity, tokens + refill);
            lastRefillNs += refill * intervalNs;
        }
        if (tokens > 0)
        {
            tokens--;
            return true;
        }
        return false;
    }
}
