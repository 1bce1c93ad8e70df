# Wall and CPU time per login, median with min-max bars.
# gnuplot -e "datafile='login.dat'; outfile='login.png'" bench/plot.gp
set terminal pngcairo size 1100,500 font ",11"
set output outfile
set title "One login (authenticate, acct\\_mgmt, open\\_session, close\\_session)"
set ylabel "milliseconds per login"
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set key top right
set xtics nomirror font ",10"
set bmargin 4
plot datafile using 2:3:4:xtic(1) title "wall (median, min-max)" lc rgb "#4477aa", \
     '' using 5:6:7 title "CPU user+sys" lc rgb "#ee6677"
