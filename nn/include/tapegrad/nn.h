// tapegrad nn: see the component headers included here.
#pragma once
