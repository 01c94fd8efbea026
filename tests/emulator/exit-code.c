/*
 * tests/emulator/tb-flush: a static s390x program that only exits with VERSION. The number is an
 * immediate operand (lghi), so builds for 1 and 2 differ in one byte of machine code and nowhere
 * else (no build id): a guest that runs version 2 and gets 1 ran a stale translation.
 */
static void __attribute__((noreturn)) sys_exit(long code)
{
	register long r2 asm("r2") = code;

	asm volatile("svc 1" : : "d"(r2) : "memory");
	__builtin_unreachable();
}

void _start(void)
{
	sys_exit(VERSION);
}
