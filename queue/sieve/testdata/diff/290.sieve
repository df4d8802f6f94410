# 290: vacation :handle with :mime
require "vacation";
vacation :handle "h-mime" :mime text:
Content-Type: text/plain

Away.
.
;
