# 456: vacation inside stop-guarded branch
require "vacation";
if header :contains "subject" "Meeting" { vacation "Away."; stop; }
discard;
