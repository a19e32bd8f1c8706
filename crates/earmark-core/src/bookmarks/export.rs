//! Export and import (filled in next).
