package io.averon.ps;

import io.aeron.ExclusivePublication;
import io.averon.ps.wire.FrameMac;

/**
 * Everything the server knows about one registered worker: its session key and MAC key, its reply publication and
 * outbound
 * {@link ParameterFeed}, the buffer its gradient for the current step is assembled into, and how it answered the
 * current and past steps. Owned and mutated only by the agent thread.
 */
final class WorkerSession
{
    private static final long NONE = Long.MIN_VALUE;

    final int workerId;
    final long sessionKey;
    final String replyEndpoint;
    /** Receives PARAMS on the server's multicast group once its own stream has delivered its first ones. */
    final boolean onGroup;
    final FrameMac mac;
    final ExclusivePublication publication;
    final float[] gradient;
    final ParameterFeed feed;

    private long assemblyStep = NONE;
    private int nextChunk;
    private int chunkCount;
    private int nextFloat;
    private int assemblyBatchSize;
    private double assemblyLoss;

    private long respondedStep = NONE;
    private long contributedStep = NONE;
    private long poisonedStep = NONE;
    private int contributedBatchSize;
    private double contributedLoss;
    private int missedDeadlines;
    private long lastHeardNs;

    WorkerSession(
        final int workerId,
        final long sessionKey,
        final String replyEndpoint,
        final boolean onGroup,
        final FrameMac mac,
        final ExclusivePublication publication,
        final float[] gradient,
        final ParameterFeed feed,
        final long registeredNs)
    {
        this.lastHeardNs = registeredNs;
        this.workerId = workerId;
        this.sessionKey = sessionKey;
        this.replyEndpoint = replyEndpoint;
        this.onGroup = onGroup;
        this.mac = mac;
        this.publication = publication;
        this.gradient = gradient;
        this.feed = feed;
    }

    /** A frame carrying this session's key arrived: the session is in use (see the takeover rule in the README). */
    void heard(final long nowNs)
    {
        lastHeardNs = nowNs;
    }

    long lastHeardNs()
    {
        return lastHeardNs;
    }

    /**
     * A client sends each chunk of its gradient once, in order; a chunk of the gradient being assembled that was
     * already taken in, with the same shape (chunk count, batch size, loss), is a recording played back (valid MAC
     * and all) and must not restart or break the assembly.
     */
    boolean isAssembled(
        final long step, final int chunkIndex, final int chunkCount, final int batchSize, final double loss)
    {
        return step == assemblyStep && chunkIndex < nextChunk && chunkCount == this.chunkCount &&
            batchSize == assemblyBatchSize && Double.compare(loss, assemblyLoss) == 0;
    }

    void beginAssembly(final long step, final int chunkCount, final int batchSize, final double loss)
    {
        assemblyStep = step;
        this.chunkCount = chunkCount;
        nextChunk = 0;
        nextFloat = 0;
        assemblyBatchSize = batchSize;
        assemblyLoss = loss;
    }

    /**
     * A chunk after the first must extend the gradient being assembled exactly: same step, next index, and the same
     * chunk count, batch size and loss as chunk 0.
     */
    boolean continuesAssembly(
        final long step, final int chunkIndex, final int chunkCount, final int batchSize, final double loss)
    {
        return assemblyStep == step &&
            chunkIndex == nextChunk &&
            chunkCount == this.chunkCount &&
            batchSize == assemblyBatchSize &&
            Double.compare(loss, assemblyLoss) == 0;
    }

    int nextFloat()
    {
        return nextFloat;
    }

    void advanceAssembly(final int floatCount)
    {
        nextChunk++;
        nextFloat += floatCount;
    }

    void resetAssembly()
    {
        assemblyStep = NONE;
    }

    void contribute(final long step)
    {
        respondedStep = step;
        contributedStep = step;
        contributedBatchSize = assemblyBatchSize;
        contributedLoss = assemblyLoss;
        missedDeadlines = 0;
        resetAssembly();
    }

    /** The worker answered the step with something unusable: it does not hold the step up, nor counts as silent. */
    void abstain(final long step)
    {
        respondedStep = step;
        poisonedStep = step;
        missedDeadlines = 0;
        resetAssembly();
    }

    boolean hasResponded(final long step)
    {
        return respondedStep == step;
    }

    boolean hasContributed(final long step)
    {
        return contributedStep == step;
    }

    boolean isPoisoned(final long step)
    {
        return poisonedStep == step;
    }

    int contributedBatchSize()
    {
        return contributedBatchSize;
    }

    double contributedLoss()
    {
        return contributedLoss;
    }

    int missedDeadlines()
    {
        return missedDeadlines;
    }

    int missedDeadline()
    {
        resetAssembly();
        return ++missedDeadlines;
    }
}
