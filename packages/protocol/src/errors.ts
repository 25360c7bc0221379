import { type Static, Type } from 'typebox';

/** Every error a Conclave service returns over HTTP has this body. */
export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'Stable machine-readable error code' }),
    message: Type.String({ description: 'Human-readable explanation' }),
  },
  { additionalProperties: false, $id: 'ErrorBody' },
);
export type ErrorBody = Static<typeof ErrorBody>;
