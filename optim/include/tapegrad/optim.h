// tapegrad optim: see the component headers included here.
#pragma once
