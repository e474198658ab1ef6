package io.averon.ps;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import org.agrona.CloseHelper;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Last frames on publications about to close: LEAVE_ACK to a departing worker, REJECT to an evicted one, to a
 * stranger with a bad token, or to everyone when the server fails. Each is offered without blocking until it is
 * accepted or its deadline passes, and the publication is closed right after (the driver lingers to deliver the
 * tail). The fixed number of slots bounds what a flood of bad REGISTERs can make the server open.
 */
final class Farewells
{
    private static final int NOTICE_CAPACITY = 2048;

    private final Slot[] slots;

    Farewells(final int capacity)
    {
        slots = new Slot[capacity];
        for (int i = 0; i < capacity; i++)
        {
            slots[i] = new Slot();
        }
    }

    /**
     * Take a free slot; encode the notice into its buffer, then call {@link #post}.
     *
     * @return a free slot or null if all are busy.
     */
    Slot acquire()
    {
        for (final Slot slot : slots)
        {
            if (slot.publication == null && !slot.claimed)
            {
                slot.claimed = true;
                return slot;
            }
        }
        return null;
    }

    void release(final Slot slot)
    {
        slot.claimed = false;
    }

    void post(final Slot slot, final ExclusivePublication publication, final int length, final long deadlineNs)
    {
        slot.publication = publication;
        slot.length = length;
        slot.deadlineNs = deadlineNs;
        slot.claimed = false;
    }

    int send(final long nowNs)
    {
        int work = 0;
        for (final Slot slot : slots)
        {
            final ExclusivePublication publication = slot.publication;
            if (publication == null)
            {
                continue;
            }

            final long result = publication.offer(slot.buffer, 0, slot.length);
            if (result > 0 || result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED ||
                nowNs - slot.deadlineNs > 0)
            {
                CloseHelper.quietClose(publication);
                slot.publication = null;
                work++;
            }
        }
        return work;
    }

    void closeAll()
    {
        for (final Slot slot : slots)
        {
            CloseHelper.quietClose(slot.publication);
            slot.publication = null;
            slot.claimed = false;
        }
    }

    /**
     * One pending notice: the frame bytes and the publication they go out on.
     */
    static final class Slot
    {
        final MutableDirectBuffer buffer = new UnsafeBuffer(new byte[NOTICE_CAPACITY]);
        ExclusivePublication publication;
        int length;
        long deadlineNs;
        boolean claimed;
    }
}
