// A line chart of the last minute of samples (Chart.js, loaded as the global `Chart`).
const POINTS = 60
const COLORS = ['#2f6fde', '#d9822b', '#2a9d5c', '#c2410c']

export function liveChart (canvas, labels, yTitle) {
  const chart = new window.Chart(canvas, {
    type: 'line',
    data: { labels: [], datasets: labels.map((label, i) => ({ label, data: [], borderColor: COLORS[i % COLORS.length], pointRadius: 0, tension: 0.2, yAxisID: i === 0 ? 'y' : 'y1' })) },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        y: { beginAtZero: true, title: { display: true, text: yTitle[0] } },
        y1: { display: labels.length > 1, beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: labels.length > 1, text: yTitle[1] ?? '' } }
      }
    }
  })
  return {
    push (time, values) {
      chart.data.labels.push(new Date(time).toLocaleTimeString())
      chart.data.datasets.forEach((d, i) => d.data.push(values[i] ?? null))
      if (chart.data.labels.length > POINTS) {
        chart.data.labels.shift()
        for (const d of chart.data.datasets) d.data.shift()
      }
      chart.update('none')
    },
    destroy () { chart.destroy() }
  }
}
