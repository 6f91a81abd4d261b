/** The part of jstat 1.9.6 that the statistics core uses (the package ships no types). */
declare module 'jstat' {
  interface JStatNormal {
    /** Quantile of N(mean, std). */
    inv(p: number, mean: number, std: number): number;
  }
  interface JStatStudentT {
    /** Quantile of Student's t with `dof` (possibly fractional) degrees of freedom. */
    inv(p: number, dof: number): number;
  }
  interface JStatStatic {
    normal: JStatNormal;
    studentt: JStatStudentT;
  }
  const jStat: JStatStatic;
  export default jStat;
}
