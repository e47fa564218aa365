/* slots.h: a ring of byte slots between two threads, one filling them and
 * one emptying them in order: the read-ahead of a large zip entry (the
 * inflater fills, the sheet parser empties). Memory is fixed at creation.
 *
 * Contract: one producer thread (slots_claim, slots_publish, slots_finish)
 * and one consumer thread (slots_take, slots_release); either may call
 * slots_stop. A claimed slot belongs to the producer until published, a
 * taken one to the consumer until released; nobody else touches them. */
#ifndef UC_SLOTS_H
#define UC_SLOTS_H

#include <stddef.h>

typedef struct slots slots;

/* n slots of size bytes each; NULL when out of memory. */
slots *slots_new(unsigned n, size_t size);
/* Free the ring once the other thread is joined. Accepts NULL. */
void slots_free(slots *s);
/* Bytes a slot holds. */
size_t slots_size(const slots *s);

/* Producer: the next free slot (waiting for one), or NULL once stopped.
 * Calling it again before slots_publish gives the same slot. */
unsigned char *slots_claim(slots *s);
/* Producer: hand the claimed slot over holding len bytes. */
void slots_publish(slots *s, size_t len);
/* Producer: nothing more will come; slots_take says so once empty. */
void slots_finish(slots *s);

/* Consumer: the oldest filled slot and its length (waiting for one), or
 * NULL once finished and empty, or stopped. */
const unsigned char *slots_take(slots *s, size_t *len);
/* Consumer: give the taken slot back. */
void slots_release(slots *s);

/* Either side: end the exchange now; slots_claim and slots_take return
 * NULL from here on (what was published and not taken is dropped). */
void slots_stop(slots *s);

#endif
