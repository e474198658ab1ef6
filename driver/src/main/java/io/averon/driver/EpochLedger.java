package io.averon.driver;

import io.averon.ps.ParameterServer;
import io.averon.worker.MissedBatches;
import io.averon.worker.WorkerAssignment;

/**
 * Which minibatches of the round in progress no applied step has trained, read from the parameter server's record of
 * whose gradient went into each step. The driver closes each round of an epoch with it and deals what was missed to a
 * catch-up round, and puts the missed batches so far into every mid-epoch checkpoint, so a resumed run still trains
 * them. Steps before the ledger's start (before a resume) are accounted for by the batches it was opened with.
 */
final class EpochLedger {
    private final ParameterServer server;
    private MissedBatches carried;
    private long accountedFrom;

    /**
     * @param server   the run's parameter server
     * @param carried  batches of the round missed before {@code fromStep} (from a checkpoint), or none
     * @param fromStep the first step this ledger reads from the server
     */
    EpochLedger(ParameterServer server, MissedBatches carried, long fromStep) {
        this.server = server;
        this.carried = carried;
        this.accountedFrom = fromStep;
    }

    /** The batches of {@code round} missed in the steps before {@code step}: what a checkpoint at that step carries. */
    MissedBatches missedBefore(WorkerAssignment round, long step) {
        return carried.and(MissedBatches.of(round, server.contributionsSince(accountedFrom), accountedFrom, step));
    }

    /**
     * Account for a finished round: every batch of it whose step did not apply its worker's gradient, including the
     * batches of steps that never came. The next round is read from the server's current step on.
     */
    MissedBatches closeRound(WorkerAssignment round) {
        MissedBatches missed = carried.and(MissedBatches.of(round, server.contributionsSince(accountedFrom),
                accountedFrom, Long.MAX_VALUE));
        carried = MissedBatches.none();
        accountedFrom = server.step();
        return missed;
    }
}
