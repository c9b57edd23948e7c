// Danish CVR numbers (the central business register's company numbers) and NemID employee RIDs, as
// the test eID's employee users carry them.
//
// A CVR number is 8 digits, the first not 0, whose weighted sum with the weights 2 7 6 5 4 3 2 1 is
// divisible by 11 (the modulus-11 check the register assigns numbers by; e.g. 34051178,
// Digitaliseringsstyrelsen's own: 3·2+4·7+0·6+5·5+1·4+1·3+7·2+8·1 = 88 = 8·11). Unlike the CPR number's,
// this check was never given up. A RID (the employee's number within the company in OCES employee
// certificates, `serialNumber=CVR:<cvr>-RID:<rid>`) is taken here as 1–16 digits; OCES does not
// publish a wider grammar for it.
const WEIGHTS = [2, 7, 6, 5, 4, 3, 2, 1];

const weighted = (digits: string) => [...digits].reduce((sum, d, i) => sum + Number(d) * WEIGHTS[i]!, 0);

/** Why `s` is not a CVR number, or undefined. */
export function cvrProblem(s: string): string | undefined {
  const v = s.trim();
  if (!/^\d{8}$/.test(v)) return 'the CVR number must be 8 digits';
  if (v.startsWith('0')) return 'the CVR number cannot start with 0';
  if (weighted(v) % 11 !== 0) return `the CVR number ${v} fails the modulus-11 check (a typing error?)`;
  return undefined;
}

/** Why `s` is not a RID, or undefined. */
export function ridProblem(s: string): string | undefined {
  return /^\d{1,16}$/.test(s.trim()) ? undefined : 'the RID must be 1–16 digits';
}

/** A random valid CVR number (`rand(n)`: an integer in [0, n)). */
export function randomCvr(rand: (n: number) => number): string {
  for (;;) {
    const seven = `${1 + rand(9)}${Array.from({ length: 6 }, () => rand(10)).join('')}`;
    const check = (11 - (weighted(seven) % 11)) % 11; // the last weight is 1
    if (check < 10) return `${seven}${check}`;
  }
}
