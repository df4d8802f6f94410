# 303: vacation with a multi-line reason
require "vacation";
vacation :days 2 text:
I am away.
Back next week.
.
;
