# 288: vacation :mime
require "vacation";
vacation :mime text:
Content-Type: text/plain; charset=utf-8

Back soon.
.
;
