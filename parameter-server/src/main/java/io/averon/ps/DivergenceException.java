package io.averon.ps;

/**
 * The parameter server stopped because training diverged: {@code maxNonFiniteSteps} consecutive steps ended without
 * a finite update, either because every worker's gradient was non-finite or because the update rule turned the
 * parameters non-finite. It names the step at which the server stopped, so a caller can tell the user where the run
 * went wrong and point at the usual cause (a learning rate too high for the model).
 */
public final class DivergenceException extends ParameterServerException
{
    private static final long serialVersionUID = 1L;

    private final long step;
    private final int nonFiniteSteps;
    private final String lastStepDetail;

    /**
     * @param message        what happened, naming the step and the server.
     * @param step           the step at which the server stopped (the last non-finite one).
     * @param nonFiniteSteps consecutive steps without a finite update, ending at that step.
     * @param lastStepDetail what went wrong at that step ("every gradient was non-finite", ...).
     */
    public DivergenceException(
        final String message, final long step, final int nonFiniteSteps, final String lastStepDetail)
    {
        super(message);
        this.step = step;
        this.nonFiniteSteps = nonFiniteSteps;
        this.lastStepDetail = lastStepDetail;
    }

    /** @return what went wrong at the last step: every gradient non-finite, or the update made them non-finite. */
    public String lastStepDetail()
    {
        return lastStepDetail;
    }

    /** @return the step at which the server stopped (the last of the non-finite steps). */
    public long step()
    {
        return step;
    }

    /** @return consecutive steps without a finite update that made the server stop. */
    public int nonFiniteSteps()
    {
        return nonFiniteSteps;
    }
}
