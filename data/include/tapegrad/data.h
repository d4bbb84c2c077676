// tapegrad data: see the component headers included here.
#pragma once
