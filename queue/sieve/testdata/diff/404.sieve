# 404: vacation with an empty reason
require "vacation";
vacation "";
