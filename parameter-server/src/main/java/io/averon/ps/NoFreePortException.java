package io.averon.ps;

/**
 * Every port of a configured range is taken on the host that had to bind one. Apart from other
 * {@link ParameterServerException}s because it is the user's to fix (widen the range the message names, or stop what
 * holds its ports), not a failure of the server or the network: callers report it as a bad setting.
 */
public class NoFreePortException extends ParameterServerException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message the host, the range, the key that sets it and what to change.
     * @param cause   the last bind failure, or null when the probe found every port taken.
     */
    public NoFreePortException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
