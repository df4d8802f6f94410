# 285: vacation :subject
require "vacation";
vacation :subject "Out of office" "Back soon.";
