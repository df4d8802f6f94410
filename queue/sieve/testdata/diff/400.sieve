# 400: vacation :subject with non-ASCII text
require "vacation";
vacation :subject "Abwesenheit: Grüße" "Bin weg.";
