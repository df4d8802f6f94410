# 455: vacation :subject empty
require "vacation";
vacation :subject "" "Back.";
