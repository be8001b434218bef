/*
 * insn_notes.h -- NOTE records about raw instructions (insn_notes.c)
 */
#ifndef PMEMU_SHIM_INSN_NOTES_H
#define PMEMU_SHIM_INSN_NOTES_H 1

/* NOTE records a report must print (exit, before shim_shutdown) */
void shim_exit_notes(void);

#endif
