/** The name the worklet registers its processor under (shared by the page and the worklet). */
export const PROCESSOR_NAME = 'conclave-rnnoise';
