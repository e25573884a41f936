// Side effect only: installs the lazy closure serializer (lazySerializer.ts).
// The program's first import (index.ts), and `node --require` of the engine's
// dynamic-provider process (scripts/dynamic-provider/pulumi-resource-pulumi-nodejs).
import { installLazySerializer } from "./lazySerializer";

installLazySerializer();
