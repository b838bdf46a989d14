#ifndef SOCC_LIFECYCLE_H
#define SOCC_LIFECYCLE_H

/*
 * Where the process is in its life, readable from any thread without a
 * lock: serving, draining (a stop was asked: finish what runs, take
 * nothing new) or aborting (the drain deadline passed: work in flight
 * gives up at its next check and rolls back).  One process-wide state;
 * it only moves forward.
 */

/* Enter draining; later calls do nothing. */
void lifecycle_drain(void);
/* 1 once lifecycle_drain() or lifecycle_abort() ran. */
int lifecycle_draining(void);
/* Enter aborting (implies draining). */
void lifecycle_abort(void);
/* 1 once lifecycle_abort() ran: long work should stop and roll back. */
int lifecycle_aborted(void);

#endif
